import t, { type Test } from 'tap';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { EsiaPersonHandler } from '../../../src/http/routes/esia-callback.js';
import { startBroker } from '../../helpers/broker.js';
import { ALL_TEST_SCOPES, Browser, loginThrough, scratchDir, sharedDevKeys, startTestEmulator } from '../../helpers/emulator.js';

// A slow GOST signer is our own slowness: the person still gets an answer within
// ESIA_TIMEOUT_MS (+ slack) with the esia_unavailable page, and ESIA's circuit breaker, which
// opens here after a single ESIA failure, is not fed by it.
const TIMEOUT_MS = 2000;
const keys = await sharedDevKeys();
const emulator = await startTestEmulator();
t.teardown(() => emulator.close());

// `openssl` that sleeps before signing while a control file holds a delay (seconds): a hung
// gost engine or a saturated machine. Everything else (and the startup self-test) is real.
const dir = scratchDir('slow-openssl-');
const delayFile = join(dir, 'delay');
const slowOpenssl = join(dir, 'openssl');
writeFileSync(slowOpenssl, `#!/bin/sh\ncase " $* " in *" -sign "*) [ -f '${delayFile}' ] && sleep "$(cat '${delayFile}')" </dev/null >/dev/null 2>&1 ;; esac\nexec openssl "$@"\n`);
chmodSync(slowOpenssl, 0o755);
const slowSigning = (seconds: number) => writeFileSync(delayFile, String(seconds));
const fastSigning = () => rmSync(delayFile, { force: true });
t.afterEach(fastSigning);

const personHandler: EsiaPersonHandler = { handle: async ({ person, reply }) => reply.send({ level: person.level }) };
const broker = await startBroker({
  env: { ESIA_URL: emulator.url, ESIA_CLIENT_ID: 'EDIARY_SLOWSIGN', ESIA_TIMEOUT_MS: String(TIMEOUT_MS), ESIA_CIRCUIT_THRESHOLD: '1', ESIA_OPENSSL_BIN: slowOpenssl },
  app: { esiaPersonHandler: personHandler },
});
t.teardown(() => broker.close());
await emulator.registerClient({ clientId: 'EDIARY_SLOWSIGN', redirectUris: [`${broker.url}/esia/callback`], certificates: [readFileSync(keys.clientCert, 'utf8')], scopes: ALL_TEST_SCOPES, tokenAlg: 'RS256' });
const login = loginThrough(broker);

async function assertUnavailablePage(t: Test, response: Response) {
  t.equal(response.status, 503);
  t.equal(response.headers.get('cache-control'), 'no-store');
  t.match(await response.text(), /data-reason="esia_unavailable"/);
}

t.test('signing slower than the deadline at the token exchange: esia_unavailable in time, breaker closed', async (t) => {
  const slow = await login('1000000102', 'grant', { beforeCallback: () => slowSigning(6) });
  await assertUnavailablePage(t, slow.response);
  t.ok(slow.callbackMs < TIMEOUT_MS + 1000, `answered in ${slow.callbackMs} ms, not after the signer's own 10 s`);
  t.ok(slow.callbackMs >= TIMEOUT_MS - 100, 'after giving the signer the whole deadline');

  fastSigning();
  const after = await login('1000000102');
  t.equal(after.response.status, 200, 'the next login reaches ESIA: the circuit did not open on our own slowness');
  t.same(await after.response.json(), { level: 'confirmed' });
  const metrics = await (await fetch(`${broker.url}/metrics`)).text();
  t.notMatch(metrics, /result="circuit_open"/);
});

t.test('signing slower than the deadline at /authorize: a clear page with the way back, not a hang', async (t) => {
  slowSigning(6);
  const authorize = new URL(`${broker.url}/authorize`);
  const challenge = createHash('sha256').update('slow-signer-verifier-0123456789-0123456789').digest('base64url');
  for (const [k, v] of Object.entries({ client_id: 'demo-diary', redirect_uri: 'http://localhost:3001/callback', response_type: 'code', scope: 'openid', state: 'diary-state', region: '38', code_challenge: challenge, code_challenge_method: 'S256' })) {
    authorize.searchParams.set(k, v);
  }
  const began = Date.now();
  const response = await new Browser().fetch(authorize.toString());
  const tookMs = Date.now() - began;
  t.ok(tookMs < TIMEOUT_MS + 1000, `answered in ${tookMs} ms`);
  const page = await response.clone().text();
  await assertUnavailablePage(t, response);
  const back = /<a class="button" href="([^"]+)">/.exec(page)?.[1]?.replace(/&amp;/g, '&');
  t.ok(back, 'a link back to the diary');
  const backUrl = new URL(back ?? 'about:blank');
  t.equal(backUrl.origin + backUrl.pathname, 'http://localhost:3001/callback');
  t.equal(backUrl.searchParams.get('error'), 'temporarily_unavailable');
  t.equal(backUrl.searchParams.get('state'), 'diary-state');
});
