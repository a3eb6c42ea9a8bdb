import t from 'tap';
import { readFileSync } from 'node:fs';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { captureLogFile, createTestLogger } from '../../helpers/log-capture.js';
import { registerClient, startOidcBroker } from '../../helpers/oidc.js';

// mod_auth_openidc authenticates with client_assertion alone (no client_id): the failure limit
// must tell such clients apart by the assertion's sub, and the log must say why one was refused.
const logFile = captureLogFile();
const broker = await startOidcBroker({ overrides: () => ({ logger: createTestLogger(logFile) }) });
t.teardown(() => broker.close());

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

async function assertionClient(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  const registered = await registerClient(broker.deps, { authMethod: 'private_key_jwt', jwks: { keys: [jwk] } });
  return { clientId: registered.clientId, privateKey };
}

let jtiCounter = 0;
/** How far the broker's clock was moved: assertions are dated by it, as a client in sync with the broker would date them. */
let advancedMs = 0;
async function assertion(clientId: string, key: CryptoKey, options: { kid?: string; aud?: string; exp?: number; jti?: string } = {}): Promise<string> {
  jtiCounter += 1;
  const now = Math.floor((Date.now() + advancedMs) / 1000);
  return new SignJWT({ jti: options.jti ?? `jti-${jtiCounter}` })
    .setProtectedHeader({ alg: 'ES256', kid: options.kid ?? 'k1' })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(options.aud ?? broker.url)
    .setIssuedAt(now - 5)
    .setExpirationTime(options.exp ?? now + 60)
    .sign(key);
}

function post(path: string, form: Record<string, string>): Promise<Response> {
  return fetch(`${broker.url}${path}`, { method: 'POST', body: new URLSearchParams({ ...form, client_assertion_type: JWT_BEARER }) });
}

const noisy = await assertionClient('k1');
const quiet = await assertionClient('k1');
const { privateKey: strangerKey } = await generateKeyPair('ES256');

t.test('refused assertions from one client do not throttle another at the same address', async (t) => {
  // Start the test early in a failure window, so the burst and the checks share one window.
  // Up to 60.5 s: assertions dated by the real clock (exp in 60 s) were then already expired for
  // the broker, a failure of about one run in fifty (whenever the test started early in a minute).
  advancedMs = 60_000 - (Date.now() % 60_000) + 500;
  broker.advanceClock(advancedMs);
  const limit = broker.config.oidc.tokenRateLimitPerMinute;
  for (const [path, body] of [['/token', { grant_type: 'refresh_token', refresh_token: 'unknown-refresh-token' }], ['/introspect', { token: 'unknown' }], ['/revoke', { token: 'unknown' }]] as const) {
    // Signed with a key the client never registered: a wrong signature, every time. Eight at once.
    const statuses: number[] = [];
    for (let i = 0; i < limit; i += 8) {
      const batch = Array.from({ length: Math.min(8, limit - i) }, async () => (await post(path, { ...body, client_assertion: await assertion(noisy.clientId, strangerKey) })).status);
      statuses.push(...(await Promise.all(batch)));
    }
    t.same([...new Set(statuses)], [401], `${path}: ${limit} refusals`);
    const throttled = await post(path, { ...body, client_assertion: await assertion(noisy.clientId, noisy.privateKey) });
    t.equal(throttled.status, 429, `${path}: the noisy client is throttled after ${limit} refusals`);
    const other = await post(path, { ...body, client_assertion: await assertion(quiet.clientId, quiet.privateKey) });
    t.not(other.status, 429, `${path}: another assertion client at the same address is not`);
    t.equal(other.status, path === '/token' ? 400 : 200, `${path}: and is answered on its merits`);
  }
});

t.test('the log says why an assertion was refused, without the assertion', async (t) => {
  const client = await assertionClient('k1');
  const cases = [
    { why: /kid not found/, jwt: await assertion(client.clientId, client.privateKey, { kid: 'k-unknown' }) },
    { why: /signature/, jwt: await assertion(client.clientId, strangerKey) },
    { why: /aud/, jwt: await assertion(client.clientId, client.privateKey, { aud: 'https://elsewhere.example' }) },
    { why: /exp/, jwt: await assertion(client.clientId, client.privateKey, { exp: Math.floor(Date.now() / 1000) - 120 }) },
  ];
  const reused = await assertion(client.clientId, client.privateKey, { jti: 'once' });
  t.equal((await post('/introspect', { token: 'x', client_assertion: reused })).status, 200);
  cases.push({ why: /jti reused/, jwt: reused });
  for (const { why, jwt } of cases) {
    const res = await post('/introspect', { token: 'x', client_assertion: jwt });
    t.equal(res.status, 401, String(why));
    t.equal(((await res.json()) as { error_description: string }).error_description, jwt === reused ? 'client assertion was already used' : 'client authentication failed', 'the client is told nothing more');
  }
  const lines = readFileSync(logFile, 'utf8').split('\n').filter(Boolean);
  const refusals = lines.map((line) => JSON.parse(line) as { msg?: string; detail?: string }).filter((line) => line.msg === 'request refused' && line.detail);
  for (const { why, jwt } of cases) {
    t.ok(refusals.some((line) => why.test(line.detail!)), `logged: ${String(why)}`);
    t.notOk(lines.some((line) => line.includes(jwt.split('.')[2]!)), 'the assertion itself is never logged');
  }
});
