import t, { type Test } from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateGostKeyPair } from '../../../src/esia/dev-keys.js';
import type { EsiaPersonHandler } from '../../../src/http/routes/esia-callback.js';
import { startBroker } from '../../helpers/broker.js';
import { ALL_TEST_SCOPES, loginThrough, scratchDir, sharedDevKeys, startCuttableProxy, startTestEmulator, testOpenssl } from '../../helpers/emulator.js';

// What the person sees when ESIA misbehaves: a clear page, fast, and never ESIA's own text.
// Long enough that a loaded CI machine's own signing and emulator time never reach it.
const TIMEOUT_MS = 2000;
const keys = await sharedDevKeys();
const emulator = await startTestEmulator();
t.teardown(() => emulator.close());
const proxy = await startCuttableProxy(emulator.url);
t.teardown(() => proxy.close());

const personHandler: EsiaPersonHandler = { handle: async ({ person, reply }) => reply.send({ level: person.level }) };
const clientCert = readFileSync(keys.clientCert, 'utf8');
const broker = await startBroker({
  env: { ESIA_URL: proxy.url, ESIA_ISSUER: emulator.issuer, ESIA_CLIENT_ID: 'EDIARY_FAIL', ESIA_TIMEOUT_MS: String(TIMEOUT_MS), ESIA_CIRCUIT_THRESHOLD: '50' },
  app: { esiaPersonHandler: personHandler },
});
t.teardown(() => broker.close());
await emulator.registerClient({ clientId: 'EDIARY_FAIL', redirectUris: [`${broker.url}/esia/callback`], certificates: [clientCert], scopes: ALL_TEST_SCOPES, tokenAlg: 'RS256' });
const login = loginThrough(broker);
t.afterEach(() => emulator.faults.reset());

/** An esia_unavailable-class page: our words, no ESIA text, no stack, no HTML from upstream. */
async function assertUnavailablePage(t: Test, response: Response, status: number) {
  t.equal(response.status, status);
  t.equal(response.headers.get('cache-control'), 'no-store');
  const page = await response.text();
  t.match(page, /data-reason="esia_unavailable"/);
  t.match(page, /Портал госуслуг временно недоступен/);
  t.notMatch(page, /ESIA-\d|clientSecretWrong|OAuthErrorEnum|NullPointer|HTTP Status|Неверное время/, 'nothing of ESIA leaks');
}

/** How many person reads the broker made (its metrics): each is a use of an ESIA access token. */
async function personCalls(): Promise<number> {
  const metrics = await (await fetch(`${broker.url}/metrics`)).text();
  return [...metrics.matchAll(/^esia_broker_esia_request_duration_seconds_count\{operation="person",[^}]*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

t.test('sanity: a login through the proxy works', async (t) => {
  const { response } = await login('1000000102');
  t.equal(response.status, 200);
  t.same(await response.json(), { level: 'confirmed' });
  t.ok((await personCalls()) > 0, 'person reads show in the metrics');
});

t.test('wrong key: ESIA answers 007053, the person sees esia_unavailable', async (t) => {
  const stranger = await generateGostKeyPair(testOpenssl(), '/CN=not the registered key');
  const dir = scratchDir();
  writeFileSync(join(dir, 'key.pem'), stranger.key);
  writeFileSync(join(dir, 'cert.pem'), stranger.cert);
  const wrong = await startBroker({
    env: { ESIA_URL: emulator.url, ESIA_CLIENT_ID: 'EDIARY_FAIL', ESIA_KEY_FILE: join(dir, 'key.pem'), ESIA_CERT_FILE: join(dir, 'cert.pem') },
    app: { esiaPersonHandler: personHandler },
  });
  t.teardown(() => wrong.close());
  await emulator.registerClient({ clientId: 'EDIARY_FAIL', redirectUris: [`${broker.url}/esia/callback`, `${wrong.url}/esia/callback`], certificates: [clientCert], scopes: ALL_TEST_SCOPES, tokenAlg: 'RS256' });
  const started = await loginThrough(wrong)('1000000102');
  t.match(new URL(started.callbackUrl).searchParams.get('error_description'), /^ESIA-007053: OAuthErrorEnum\.clientSecretWrong/);
  await assertUnavailablePage(t, started.response, 502);
  const metrics = await (await fetch(`${wrong.url}/metrics`)).text();
  t.match(metrics, /esia_broker_login_outcomes_total\{outcome="esia_unavailable",region="77"\} 1/);
});

t.test('clock skew beyond the window: at /ac and at /te', async (t) => {
  emulator.faults.set({ clockOffsetMs: 10 * 60_000 });
  const atAuthorize = await login('1000000101');
  t.match(new URL(atAuthorize.callbackUrl).searchParams.get('error_description'), /^ESIA-007015/);
  await assertUnavailablePage(t, atAuthorize.response, 502);

  emulator.faults.reset();
  const atToken = await login('1000000101', 'grant', { beforeCallback: () => emulator.faults.set({ clockOffsetMs: -10 * 60_000 }) });
  t.ok(new URL(atToken.callbackUrl).searchParams.get('code'), 'the code was issued');
  await assertUnavailablePage(t, atToken.response, 502);

  emulator.faults.set({ clockOffsetMs: 30_000 });
  t.equal((await login('1000000101')).response.status, 200, 'a skew inside the window and the id_token leeway is fine');
  emulator.faults.set({ clockOffsetMs: 3 * 60_000 });
  await assertUnavailablePage(t, (await login('1000000101')).response, 502); // inside ESIA's window, but the id_token is not valid yet for us
});

t.test('ESIA slow: the callback answers within ESIA_TIMEOUT_MS + 1 s', async (t) => {
  const slow = await login('1000000101', 'grant', { beforeCallback: () => emulator.faults.set({ delayMs: 5000 }) });
  await assertUnavailablePage(t, slow.response, 503);
  t.ok(slow.callbackMs < TIMEOUT_MS + 1000, `answered in ${slow.callbackMs} ms`);
  t.ok(slow.callbackMs >= TIMEOUT_MS - 50, 'after waiting for ESIA');

  // Slow person API after a fast token exchange: still one deadline for the whole back channel.
  const slowRest = await login('1000000101', 'grant', { beforeCallback: () => emulator.faults.set({ delayMs: 1400 }) });
  t.ok(slowRest.callbackMs < TIMEOUT_MS + 1000, `answered in ${slowRest.callbackMs} ms`);
  await assertUnavailablePage(t, slowRest.response, 503);
});

t.test('ESIA down: connection refused answers at once', async (t) => {
  const down = await login('1000000101', 'grant', { beforeCallback: () => proxy.cut() });
  t.teardown(() => proxy.restore());
  await assertUnavailablePage(t, down.response, 503);
  t.ok(down.callbackMs < 1000, `answered in ${down.callbackMs} ms`);
});

t.test('ESIA 500 with an HTML body, and 007008 maintenance', async (t) => {
  const broken = await login('1000000101', 'grant', { beforeCallback: () => emulator.faults.set({ serverError: true }) });
  await assertUnavailablePage(t, broken.response, 503);
  const maintenance = await login('1000000101', 'grant', { beforeCallback: () => emulator.faults.set({ maintenance: true }) });
  await assertUnavailablePage(t, maintenance.response, 503);
  emulator.faults.set({ maintenance: true });
  const atAuthorize = await login('1000000101');
  t.match(new URL(atAuthorize.callbackUrl).searchParams.get('error'), 'temporarily_unavailable');
  await assertUnavailablePage(t, atAuthorize.response, 503);
});

t.test('token response with another state (§7): refused as esia_unavailable, the person is never read', async (t) => {
  const restBefore = await personCalls();
  const wrong = await login('1000000102', 'grant', { beforeCallback: () => emulator.faults.set({ wrongState: true }) });
  t.ok(new URL(wrong.callbackUrl).searchParams.get('code'), 'ESIA issued a code; the exchange answered 200 with the wrong state');
  await assertUnavailablePage(t, wrong.response, 502);
  t.equal(await personCalls(), restBefore, 'the access token of an untrusted response was not used');
});

t.test('no hung requests: the broker answers normally right after', async (t) => {
  const { response } = await login('1000000102');
  t.equal(response.status, 200);
});

t.test('ESIA rotated its token certificate: the id_token is refused, not trusted', async (t) => {
  await emulator.rotateTokenKeys();
  const rotated = await login('1000000102');
  await assertUnavailablePage(t, rotated.response, 502);
  t.not(emulator.tokenCertificates(), readFileSync(keys.esiaTokenCerts, 'utf8'), 'ESIA publishes new certificates');
});
