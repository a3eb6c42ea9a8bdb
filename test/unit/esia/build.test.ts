import t from 'tap';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/index.js';
import { buildEsia } from '../../../src/esia/build.js';
import { generateGostKeyPair } from '../../../src/esia/dev-keys.js';
import { createMetrics } from '../../../src/metrics/metrics.js';
import { createLogger } from '../../../src/observability/logger.js';
import { createMemoryStateStore } from '../../../src/store/memory/memory-state-store.js';
import { scratchDir, sharedDevKeys, testOpenssl } from '../../helpers/emulator.js';

// The ESIA leg at startup: development keys on first start, and a fail-fast self-test.
const logger = createLogger({ level: 'silent' });
const build = (env: Record<string, string | undefined>) => buildEsia(loadConfig({ NODE_ENV: 'development', ...env }), { state: createMemoryStateStore(), metrics: createMetrics(), logger });

t.test('development: keys are generated under DATA_DIR on first start, and reused', async (t) => {
  const dataDir = scratchDir();
  const parts = await build({ DATA_DIR: dataDir });
  for (const file of ['client-key.pem', 'client-cert.pem', 'esia-token-certs.pem', 'esia-gost-key.pem']) t.ok(existsSync(join(dataDir, 'esia-dev', file)), file);
  t.match(await parts.loginStarter.start({ id: 'i', clientId: 'c', redirectUri: 'r', state: undefined, nonce: undefined, scope: [], codeChallenge: undefined, resource: [], region: '77', forceLogin: false, createdAt: 0 }), /^http:\/\/localhost:3100\/aas\/oauth2\/v2\/ac\?/);
  await build({ DATA_DIR: dataDir });
});

t.test('a key that does not match the certificate stops the start with a clear message', async (t) => {
  const keys = await sharedDevKeys();
  const stranger = await generateGostKeyPair(testOpenssl(), '/CN=stranger');
  const dir = scratchDir();
  writeFileSync(join(dir, 'cert.pem'), stranger.cert);
  await t.rejects(build({ DATA_DIR: dir, ESIA_KEY_FILE: keys.clientKey, ESIA_CERT_FILE: join(dir, 'cert.pem'), ESIA_TOKEN_CERT_FILE: keys.esiaTokenCerts }), /ESIA signer self-test failed \(ESIA_SIGNER=openssl\): the signature does not verify with ESIA_CERT_FILE/);
  await t.rejects(build({ DATA_DIR: dir, ESIA_KEY_FILE: join(dir, 'missing.pem'), ESIA_CERT_FILE: keys.clientCert, ESIA_TOKEN_CERT_FILE: keys.esiaTokenCerts }), /ESIA signer self-test failed.*cannot sign/);
  await t.rejects(build({ DATA_DIR: dir, ESIA_KEY_FILE: keys.clientKey, ESIA_CERT_FILE: keys.clientCert, ESIA_TOKEN_CERT_FILE: join(dir, 'none.pem') }), /ESIA_TOKEN_CERT_FILE: cannot read/);
  await t.rejects(build({ DATA_DIR: dir, ESIA_KEY_FILE: keys.clientKey, ESIA_CERT_FILE: keys.clientCert, ESIA_TOKEN_CERT_FILE: keys.clientCert, ESIA_TOKEN_ALGS: 'RS256' }), /no certificate for RS256/);
});
