import t, { type Test } from 'tap';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { encodeSignature, esiaTimestamp, v2AuthorizeString } from '../../../src/esia/protocol.js';
import { Browser, devClientSigner, passEsia, startTestEmulator } from '../../helpers/emulator.js';

/**
 * EMULATOR_STRICTNESS=lenient (docs/emulator.md, "Violations"): a bad signature, an unknown
 * certificate hash or a skewed timestamp is logged with enforced=false and the request goes on,
 * on every endpoint that checks a signature (/v2/ac, /v3/te for a code, a refresh token and
 * client_credentials); what lenient does not cover (an unknown scope) is still answered.
 */
const { keys, signer, hash } = await devClientSigner();
const emulator = await startTestEmulator({ strictness: 'lenient' });
t.teardown(() => emulator.close());
const REDIRECT = 'https://rp.example.ru/cb';
const SCOPE = 'openid fullname';
await emulator.registerClient({ clientId: 'RP', redirectUris: [REDIRECT], certificates: [readFileSync(keys.clientCert, 'utf8')], scopes: ['openid', 'fullname'], tokenAlg: 'RS256' });

const forged = encodeSignature(Buffer.alloc(64, 7));
const skewed = () => esiaTimestamp(new Date(Date.now() - 3_600_000));
const tolerated = (response: Response, codes: string[]) => {
  const id = response.headers.get('x-emulator-request-id') ?? '';
  return emulator.violations(id).filter((v) => !v.enforced).map((v) => v.code).sort().join(',') === [...codes].sort().join(',');
};
const post = (body: Record<string, string>) =>
  fetch(`${emulator.url}/aas/oauth2/v3/te`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body).toString() });

async function codeThroughForgedAuthorize(t: Test, accessType: 'online' | 'offline'): Promise<string> {
  const params = new URLSearchParams({ client_id: 'RP', scope: SCOPE, response_type: 'code', state: randomUUID(), timestamp: skewed(), access_type: accessType, redirect_uri: REDIRECT, client_certificate_hash: 'AB'.repeat(32), client_secret: forged });
  const url = `${emulator.url}/aas/oauth2/v2/ac?${params}`;
  const first = await fetch(url, { redirect: 'manual' });
  t.equal(new URL(first.headers.get('location') ?? '', emulator.url).pathname, '/login', '/v2/ac: on to the login page');
  t.ok(tolerated(first, ['007015', '007053']), '/v2/ac: the skewed timestamp and the unknown hash are logged as tolerated');
  const back = new URL((await passEsia(new Browser(), url, { oid: '1000000102', callbackPrefix: 'https://rp.example.ru/' })).callbackUrl);
  return back.searchParams.get('code') ?? '';
}

t.test('a forged /v2/ac and /v3/te (code) go on, each finding logged as tolerated', async (t) => {
  const code = await codeThroughForgedAuthorize(t, 'online');
  const token = await post({ client_id: 'RP', code, grant_type: 'authorization_code', redirect_uri: REDIRECT, scope: SCOPE, state: randomUUID(), timestamp: esiaTimestamp(new Date()), token_type: 'Bearer', client_certificate_hash: hash, client_secret: forged });
  t.equal(token.status, 200, '/v3/te: tokens despite the bad signature');
  t.ok(tolerated(token, ['007053']));
});

t.test('a refresh with a bad signature goes on, logged as tolerated', async (t) => {
  const code = await codeThroughForgedAuthorize(t, 'offline');
  const first = (await (await post({ client_id: 'RP', code, grant_type: 'authorization_code', redirect_uri: REDIRECT, scope: SCOPE, state: randomUUID(), timestamp: esiaTimestamp(new Date()), token_type: 'Bearer', client_certificate_hash: hash, client_secret: forged })).json()) as { refresh_token: string };
  const refreshed = await post({ client_id: 'RP', grant_type: 'refresh_token', refresh_token: first.refresh_token, scope: SCOPE, state: randomUUID(), timestamp: esiaTimestamp(new Date()), token_type: 'Bearer', redirect_uri: REDIRECT, client_certificate_hash: hash, client_secret: forged });
  t.equal(refreshed.status, 200, 'refresh: tokens despite the bad signature');
  t.ok(tolerated(refreshed, ['007053']));
});

t.test('client_credentials with a bad signature goes on, logged as tolerated', async (t) => {
  const scope = 'prm_chg?oid=1000000102';
  const answer = await post({ client_id: 'RP', grant_type: 'client_credentials', scope, state: randomUUID(), timestamp: esiaTimestamp(new Date()), token_type: 'Bearer', redirect_uri: REDIRECT, client_certificate_hash: hash, client_secret: forged });
  t.equal(answer.status, 200, 'client_credentials: an access token despite the bad signature');
  t.ok(tolerated(answer, ['007053']));
});

t.test('checks lenient does not cover are still answered, and logged as enforced', async (t) => {
  const p = { clientId: 'RP', scope: 'openid telepathy', timestamp: esiaTimestamp(new Date()), state: randomUUID(), redirectUri: REDIRECT };
  const params = new URLSearchParams({ client_id: 'RP', scope: p.scope, response_type: 'code', state: p.state, timestamp: p.timestamp, redirect_uri: REDIRECT, client_certificate_hash: hash, client_secret: encodeSignature(await signer.signRaw(Buffer.from(v2AuthorizeString(p)))) });
  const response = await fetch(`${emulator.url}/aas/oauth2/v2/ac?${params}`, { redirect: 'manual' });
  t.match(new URL(response.headers.get('location') ?? '').searchParams.get('error_description'), /^ESIA-007006/);
  t.match(emulator.violations(response.headers.get('x-emulator-request-id') ?? ''), [{ code: '007006', enforced: true }]);
});
