import t from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EsiaPersonHandler } from '../../../src/http/routes/esia-callback.js';
import { startEmulator } from '../../../src/emulator/index.js';
import { gostCertificateHash } from '../../../src/esia/certificate.js';
import { generateGostKeyPair } from '../../../src/esia/dev-keys.js';
import { decodeSignature } from '../../../src/esia/protocol.js';
import { startBroker } from '../../helpers/broker.js';
import { ALL_TEST_SCOPES, loginThrough, scratchDir, sharedDevKeys, startTestEmulator, testOpenssl } from '../../helpers/emulator.js';

// The other configurations a deployment may choose, each through a full login.
const personHandler: EsiaPersonHandler = { handle: async ({ person, reply }) => reply.send({ oid: person.oid, level: person.level, isChild: person.isChild ?? null }) };

t.test('legacy protocol (ESIA_PROTOCOL=v1, CMS signatures) with GOST-signed tokens', async (t) => {
  const keys = await sharedDevKeys();
  const emulator = await startTestEmulator();
  t.teardown(() => emulator.close());
  const broker = await startBroker({
    env: { ESIA_URL: emulator.url, ESIA_CLIENT_ID: 'EDIARY_V1', ESIA_PROTOCOL: 'v1', ESIA_TOKEN_ALGS: 'GOST3410_2012_256', ESIA_SECRET_ENCODING: 'base64url-padded' },
    app: { esiaPersonHandler: personHandler },
  });
  t.teardown(() => broker.close());
  await emulator.registerClient({ clientId: 'EDIARY_V1', redirectUris: [`${broker.url}/esia/callback`], certificates: [readFileSync(keys.clientCert, 'utf8')], scopes: ALL_TEST_SCOPES, tokenAlg: 'GOST3410_2012_256' });
  const login = loginThrough(broker);
  const { esiaUrl, response } = await login('1000000105');
  t.match(esiaUrl, `${emulator.url}/aas/oauth2/ac?`);
  t.notOk(new URL(esiaUrl).searchParams.has('client_certificate_hash'), 'v1 sends no certificate hash');
  t.equal(response.status, 200);
  t.same(await response.json(), { oid: '1000000105', level: 'simplified', isChild: true });
});

t.test('development defaults: no ESIA keys configured, the emulator and the broker share DATA_DIR/esia-dev', async (t) => {
  const dataDir = scratchDir('esia-dev-data-');
  const devDir = join(dataDir, 'esia-dev');
  // `npm run esia-emulator` started first: it generates the development keys.
  const emulator = await startEmulator({ tokenKeys: { devKeysDir: devDir } });
  t.teardown(() => emulator.close());
  t.ok(existsSync(join(devDir, 'client-key.pem')) && existsSync(join(devDir, 'esia-token-certs.pem')), 'keys generated');
  const broker = await startBroker({
    env: { DATA_DIR: dataDir, ESIA_URL: emulator.url, ESIA_KEY_FILE: undefined, ESIA_CERT_FILE: undefined, ESIA_TOKEN_CERT_FILE: undefined },
    app: { esiaPersonHandler: personHandler },
  });
  t.teardown(() => broker.close());
  t.equal(broker.config.esia.devKeysDir, devDir);
  t.equal(broker.config.esia.clientId, 'ESIA_BROKER_DEV');
  t.equal(broker.config.esia.signer.certFile, join(devDir, 'client-cert.pem'), 'the broker uses the keys it found');
  await emulator.registerClient({ clientId: 'ESIA_BROKER_DEV', redirectUris: [`${broker.url}/esia/callback`], certificates: [readFileSync(join(devDir, 'client-cert.pem'), 'utf8')], scopes: ALL_TEST_SCOPES, tokenAlg: 'RS256' });
  const { response } = await loginThrough(broker)('1000000102');
  t.equal(response.status, 200);
  t.same(await response.json(), { oid: '1000000102', level: 'confirmed', isChild: null });
});

t.test('a GOST R 34.10-2012 512-bit client certificate: login end to end with the openssl, the CryptoPro and the in-process engine signer (v2), and v1 CMS', async (t) => {
  const openssl = testOpenssl();
  const dir = scratchDir('esia-512-');
  const { key, cert } = await generateGostKeyPair(openssl, '/CN=client 512/O=TEST ONLY', 512);
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  writeFileSync(keyFile, key);
  writeFileSync(certFile, cert);
  const csptestBin = join(import.meta.dirname, '..', '..', 'fixtures', 'fake-csptest.mjs');
  const emulator = await startTestEmulator();
  t.teardown(() => emulator.close());
  for (const signer of [
    { ESIA_SIGNER: 'openssl', ESIA_KEY_FILE: keyFile, ESIA_CERT_FILE: certFile },
    { ESIA_SIGNER: 'cryptopro', ESIA_CRYPTOPRO_CONTAINER: keyFile, ESIA_CSPTEST_BIN: csptestBin, ESIA_CERT_FILE: certFile, ESIA_KEY_FILE: undefined },
    { ESIA_SIGNER: 'engine', ESIA_KEY_FILE: keyFile, ESIA_CERT_FILE: certFile },
    { ESIA_SIGNER: 'openssl', ESIA_KEY_FILE: keyFile, ESIA_CERT_FILE: certFile, ESIA_PROTOCOL: 'v1' },
  ]) {
    const v1 = 'ESIA_PROTOCOL' in signer;
    const clientId = `EDIARY_512_${signer.ESIA_SIGNER.toUpperCase()}${v1 ? '_V1' : ''}`;
    const broker = await startBroker({ env: { ESIA_URL: emulator.url, ESIA_CLIENT_ID: clientId, ...signer }, app: { esiaPersonHandler: personHandler } });
    t.teardown(() => broker.close());
    await emulator.registerClient({ clientId, redirectUris: [`${broker.url}/esia/callback`], certificates: [cert], scopes: ALL_TEST_SCOPES, tokenAlg: 'RS256' });
    const { esiaUrl, response } = await loginThrough(broker)('1000000102');
    const sent = new URL(esiaUrl).searchParams;
    if (v1) {
      t.equal(response.status, 200, 'v1: the emulator verified the Streebog-512 CMS with openssl cms -verify');
      continue;
    }
    t.equal(sent.get('client_certificate_hash'), await gostCertificateHash(openssl, cert), `${signer.ESIA_SIGNER}: the Streebog-512 hash of the DER`);
    t.match(sent.get('client_certificate_hash'), /^[0-9A-F]{128}$/);
    t.equal(decodeSignature(sent.get('client_secret') ?? '')?.length, 128, `${signer.ESIA_SIGNER}: a 128-byte signature`);
    t.equal(response.status, 200, `${signer.ESIA_SIGNER}: the emulator accepted /v2/ac and /v3/te`);
    t.same(await response.json(), { oid: '1000000102', level: 'confirmed', isChild: null });
  }
});
