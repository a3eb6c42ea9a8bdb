import t from 'tap';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { encodeSignature, esiaTimestamp, v2AuthorizeString, v3TokenString } from '../../../src/esia/protocol.js';
import { Browser, passEsia, devClientSigner, startTestEmulator } from '../../helpers/emulator.js';

// The person API for a parent: /rs/prns/{oid}/kids under the kid_* scopes, and the other collections.
const { keys, signer, hash } = await devClientSigner();
const emulator = await startTestEmulator();
t.teardown(() => emulator.close());
const REDIRECT = 'https://rp.example.ru/cb';
const SCOPES = ['openid', 'fullname', 'addresses', 'usr_org', 'kid_fullname', 'kid_birthdate', 'kid_birth_cert_doc'];
await emulator.registerClient({ clientId: 'RP', redirectUris: [REDIRECT], certificates: [readFileSync(keys.clientCert, 'utf8')], scopes: SCOPES, tokenAlg: 'RS256' });
const sign = async (text: string) => encodeSignature(await signer.signRaw(Buffer.from(text)), 'base64url');

async function accessToken(scope: string, oid: string): Promise<string> {
  const p = { clientId: 'RP', scope, scopeOrg: '', timestamp: esiaTimestamp(new Date()), state: randomUUID(), redirectUri: REDIRECT };
  const params = new URLSearchParams({ client_id: 'RP', scope, response_type: 'code', state: p.state, timestamp: p.timestamp, redirect_uri: REDIRECT, access_type: 'online', client_certificate_hash: hash, client_secret: await sign(v2AuthorizeString(p)) });
  const back = new URL((await passEsia(new Browser(), `${emulator.url}/aas/oauth2/v2/ac?${params}`, { oid, callbackPrefix: 'https://rp.example.ru/' })).callbackUrl);
  const code = back.searchParams.get('code')!;
  const q = { ...p, state: randomUUID() };
  const body = new URLSearchParams({ client_id: 'RP', code, grant_type: 'authorization_code', redirect_uri: REDIRECT, scope, state: q.state, timestamp: q.timestamp, token_type: 'Bearer', client_certificate_hash: hash, client_secret: await sign(v3TokenString({ ...q, code })) });
  const response = await fetch(`${emulator.url}/aas/oauth2/v3/te`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
  return ((await response.json()) as { access_token: string }).access_token;
}

const get = async (path: string, token: string) => {
  const response = await fetch(`${emulator.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

t.test('a parent with kid_* scopes sees the children: links, each child as allowed, the birth certificate', async (t) => {
  const token = await accessToken(SCOPES.join(' '), '1000000107');
  const kids = await get('/rs/prns/1000000107/kids', token);
  t.equal(kids.status, 200);
  t.match(kids.body, { stateFacts: ['hasSize'], size: 2, elements: [`${emulator.url}/rs/prns/1000000107/kids/1000000104`, `${emulator.url}/rs/prns/1000000107/kids/1000000105`] });
  const child = await get('/rs/prns/1000000107/kids/1000000105', token);
  t.equal(child.status, 200);
  t.match(child.body, { oid: 1000000105, firstName: String, lastName: String, birthDate: '21.04.2016' });
  t.notOk('snils' in child.body, 'no kid_snils: no SNILS');
  const docs = await get('/rs/prns/1000000107/kids/1000000105/docs', token);
  t.match(docs.body, { size: 1, elements: [{ type: 'RF_BRTH_CERT' }] });
  const inline = await get('/rs/prns/1000000107/kids?embed=(elements)', token);
  t.match(inline.body, { size: 2, elements: [{ oid: 1000000104 }, { oid: 1000000105 }] });
  t.equal((await get('/rs/prns/1000000107/kids/1000000102', token)).status, 403, 'not this parent\'s child');
  t.equal((await get('/rs/prns/1000000107/addrs', token)).status, 200, 'addresses with the addresses scope');
  t.equal((await get('/rs/prns/1000000107/roles', token)).status, 200, 'roles with usr_org');
});

t.test('without a kid_* scope, /kids is 403; a person without children gets an empty collection', async (t) => {
  const plain = await accessToken('openid fullname', '1000000107');
  t.equal((await get('/rs/prns/1000000107/kids', plain)).status, 403);
  t.equal((await get('/rs/prns/1000000107/kids/1000000105', plain)).status, 403);
  const childless = await accessToken(SCOPES.join(' '), '1000000102');
  t.match((await get('/rs/prns/1000000102/kids', childless)).body, { size: 0, elements: [] });
});

t.test('organisations with usr_org: /roles inline, /orgs as links to /rs/orgs/{orgOid}; 403 without the scope or for another organisation', async (t) => {
  const token = await accessToken(SCOPES.join(' '), '1000000107');
  const org = { oid: 1000300001, fullName: 'Муниципальное общеобразовательное учреждение «Средняя школа № 7»', shortName: 'МОУ СШ № 7', ogrn: '1027600512345' };
  const roles = await get('/rs/prns/1000000107/roles', token);
  t.equal(roles.status, 200);
  t.match(roles.body, { stateFacts: ['hasSize'], size: 1, elements: [{ ...org, chief: false, admin: false }] });
  const orgs = await get('/rs/prns/1000000107/orgs', token);
  t.same(orgs.body, { stateFacts: ['hasSize'], size: 1, elements: [`${emulator.url}/rs/orgs/1000300001`] });
  const one = await get(new URL((orgs.body['elements'] as string[])[0]!).pathname, token);
  t.equal(one.status, 200);
  t.same(one.body, org);
  t.equal((await get('/rs/orgs/1000300099', token)).status, 403, 'an organisation the person is not in');
  const plain = await accessToken('openid fullname', '1000000107');
  for (const path of ['/rs/prns/1000000107/roles', '/rs/prns/1000000107/orgs', '/rs/orgs/1000300001']) {
    t.match(await get(path, plain), { status: 403, body: { code: 'ESIA-007019' } }, `${path} without usr_org`);
  }
  t.match(await get('/rs/orgs/1000300001', 'nope'), { status: 401, body: { code: 'ESIA-008010' } });
  t.match((await get('/rs/prns/1000000102/roles', await accessToken(SCOPES.join(' '), '1000000102'))).body, { size: 0, elements: [] }, 'a person in no organisation');
});
