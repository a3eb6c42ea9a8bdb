import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseClientsFile, seedClientsFromFile } from '../../../src/oidc/client-file.js';
import type { Client, ClientRepo } from '../../../src/oidc/clients.js';
import { verifyClientSecret } from '../../../src/crypto/secret-hash.js';

const base = {
  client_id: 'diary',
  client_name: 'Diary',
  client_secret: 'a-high-entropy-secret-0123456789abcdef',
  redirect_uris: ['https://diary.example/cb'],
};
const parse = (clients: unknown[]) => parseClientsFile(JSON.stringify({ clients }));

t.test('the shipped config/clients.json parses', async (t) => {
  const text = readFileSync(join(import.meta.dirname, '..', '..', '..', 'config', 'clients.json'), 'utf8');
  const [demo] = parseClientsFile(text);
  t.equal(demo?.clientId, 'demo-diary');
  t.ok(verifyClientSecret('demo-diary-secret-change-me-0123456789abcdef', demo!.secretHash!), 'the documented demo secret matches the stored hash');
});

t.test('defaults and secret hashing', async (t) => {
  const [client] = parse([{ ...base, $comment: 'ignored' }]);
  t.equal(client?.authMethod, 'client_secret_basic');
  t.same(client?.allowedScopes, ['openid', 'profile', 'email', 'diary', 'offline_access']);
  t.equal(client?.idTokenAlg, 'ES256');
  t.match(client?.secretHash, /^sha256:/);
  t.ok(verifyClientSecret(base.client_secret, client!.secretHash!));
});

t.test('bad entries are refused naming the problem', async (t) => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['short secret', { ...base, client_secret: 'short' }, /client_secret: must be at least 32/],
    ['no secret', { ...base, client_secret: undefined }, /exactly one of client_secret or client_secret_hash/],
    ['public with secret', { ...base, token_endpoint_auth_method: 'none' }, /none clients have no secret/],
    ['private_key_jwt without jwks', { ...base, client_secret: undefined, token_endpoint_auth_method: 'private_key_jwt' }, /needs jwks/],
    ['fragment', { ...base, redirect_uris: ['https://diary.example/cb#x'] }, /fragment/],
    ['javascript:', { ...base, redirect_uris: ['javascript:alert(1)'] }, /http\(s\) URL/],
    ['no openid', { ...base, scope: 'profile' }, /must include openid/],
    ['unknown scope', { ...base, scope: 'openid admin' }, /unknown scope values: admin/],
    ['bad region', { ...base, regions: ['7'] }, /two-digit/],
    ['unknown field', { ...base, grant_types: ['implicit'] }, /grant_types/],
  ];
  for (const [name, entry, message] of cases) t.throws(() => parse([entry]), message, name);
  t.throws(() => parseClientsFile('{not json'), /not valid JSON/);
});

t.test('production never seeds a client holding the published demo secret', async (t) => {
  const configDir = join(import.meta.dirname, '..', '..', '..', 'config');
  const upserted: string[] = [];
  const repo = { upsert: async (client: Client) => void upserted.push(client.clientId) } as unknown as ClientRepo;
  t.same(await seedClientsFromFile(configDir, repo, { production: true }), { seeded: [], refused: ['demo-diary'] });
  t.same(upserted, [], 'nothing written');
  t.same(await seedClientsFromFile(configDir, repo), { seeded: ['demo-diary'], refused: [] }, 'development seeds it');
  t.same(upserted, ['demo-diary']);
});

t.test('allowed_origins are bare origins; authorization_error_iss defaults on', async (t) => {
  const [client] = parse([{ ...base, allowed_origins: ['https://spa.example.ru', 'http://localhost:5173'], authorization_error_iss: false }]);
  t.same(client?.allowedOrigins, ['https://spa.example.ru', 'http://localhost:5173']);
  t.equal(client?.authorizationErrorIss, false);
  t.equal(parse([base])[0]?.authorizationErrorIss, true);
  for (const bad of ['https://spa.example.ru/', 'https://spa.example.ru/app', '*', 'null', 'ftp://spa.example.ru']) {
    t.throws(() => parse([{ ...base, allowed_origins: [bad] }]), /allowed_origins/, bad);
  }
});
