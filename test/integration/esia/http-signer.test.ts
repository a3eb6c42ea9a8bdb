import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import type { EsiaPersonHandler } from '../../../src/http/routes/esia-callback.js';
import { createSigner } from '../../../src/esia/signers.js';
import { startBroker } from '../../helpers/broker.js';
import { ALL_TEST_SCOPES, loginThrough, sharedDevKeys, startTestEmulator, testOpenssl } from '../../helpers/emulator.js';
import { startReferenceSigner } from '../../helpers/reference-signer.js';

// ESIA_SIGNER=http against a signing service built from the contract in docs/esia.md: the
// production path, where the key stays in a certified gateway or an HSM.
const personHandler: EsiaPersonHandler = { handle: async ({ person, reply }) => reply.send({ oid: person.oid }) };
const TOKEN = 'reference-signer-token-0123456789';

async function setUp(t: Test, clientId: string, env: Record<string, string> = {}, tokenAlg: 'RS256' | 'GOST3410_2012_256' = 'RS256') {
  const keys = await sharedDevKeys();
  const signer = await startReferenceSigner({ keyFile: keys.clientKey, certFile: keys.clientCert, token: TOKEN });
  t.teardown(() => signer.close());
  const emulator = await startTestEmulator();
  t.teardown(() => emulator.close());
  const broker = await startBroker({
    embedded: true,
    // No key file: the broker holds only the certificate (for the hash and the self-test).
    env: { ESIA_URL: emulator.url, ESIA_CLIENT_ID: clientId, ESIA_SIGNER: 'http', ESIA_SIGNER_URL: signer.url, ESIA_SIGNER_TOKEN: TOKEN, ESIA_KEY_FILE: undefined, ...env },
    app: { esiaPersonHandler: personHandler },
  });
  t.teardown(() => broker.close());
  await emulator.registerClient({ clientId, redirectUris: [`${broker.url}/esia/callback`], certificates: [readFileSync(keys.clientCert, 'utf8')], scopes: ALL_TEST_SCOPES, tokenAlg });
  return { signer, broker };
}

t.test('a login signed by the reference signing service: the emulator accepts it (v2, raw GOST)', async (t) => {
  const { signer, broker } = await setUp(t, 'EDIARY_HTTPSIGN');
  t.equal(signer.requests.length, 1, 'the start-up self-test signed once');
  const { esiaUrl, response } = await loginThrough(broker)('1000000102');
  t.equal(response.status, 200, 'ESIA accepted the authorize and token requests');
  t.same(await response.json(), { oid: '1000000102' });
  t.equal(signer.requests.length, 3, 'self-test, /v2/ac, /v3/te: one request per signature, no retries');
  for (const request of signer.requests) {
    t.match(request, { authorization: `Bearer ${TOKEN}`, contentType: 'application/octet-stream', accept: 'application/octet-stream' });
  }
  // What is signed: the UTF-8 bytes of the v2 string, nothing around them.
  const sent = new URL(esiaUrl).searchParams;
  const expected = `EDIARY_HTTPSIGN${sent.get('scope')}${sent.get('timestamp')}${sent.get('state')}${sent.get('redirect_uri')}`;
  t.equal(signer.requests[1]!.body.toString('utf8'), expected, 'client_id + scope + timestamp + state + redirect_uri');
  t.ok(signer.requests[2]!.body.toString('utf8').startsWith('EDIARY_HTTPSIGN'), 'the token request string, with the code at its end');
});

t.test('legacy v1: the service answers a detached CMS (application/pkcs7-signature) the emulator accepts', async (t) => {
  const { signer, broker } = await setUp(t, 'EDIARY_HTTPCMS', { ESIA_PROTOCOL: 'v1', ESIA_TOKEN_ALGS: 'GOST3410_2012_256' }, 'GOST3410_2012_256');
  const { response } = await loginThrough(broker)('1000000105');
  t.equal(response.status, 200);
  t.ok(signer.requests.every((r) => r.accept === 'application/pkcs7-signature'));
});

t.test('a service that breaks the contract is named, not blamed on ESIA', async (t) => {
  const keys = await sharedDevKeys();
  const service = await startReferenceSigner({ keyFile: keys.clientKey, certFile: keys.clientCert, token: TOKEN });
  t.teardown(() => service.close());
  const openssl = testOpenssl();
  const signer = (token: string) => createSigner({ kind: 'http', url: service.url, token, certFile: keys.clientCert, certHash: undefined }, { openssl, timeoutMs: 3000 });
  const message = Buffer.from('EDIARY_HTTPSIGN openid');
  t.equal((await signer(TOKEN).signRaw(message)).length, 64);
  await t.rejects(signer('wrong-token').signRaw(message), /answered HTTP 401 \(check ESIA_SIGNER_TOKEN\)/);
  service.fault = 'short-signature';
  await t.rejects(signer(TOKEN).signRaw(message), /answered 32 bytes, expected a GOST R 34.10-2012 signature \(64 bytes, 128 for a 512-bit key\)/);
  service.fault = 'error-500';
  await t.rejects(signer(TOKEN).signRaw(message), /answered HTTP 500$/);
  t.equal(service.requests.length, 4, 'no retries');
});
