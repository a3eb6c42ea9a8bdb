import { loadConfig } from '../config/index.js';
import { devKeysDir } from '../config/esia.js';
import { gostCertificateHash } from './certificate.js';
import { ensureDevKeys } from './dev-keys.js';
import { createOpenssl } from './openssl.js';
import { readFileSync } from 'node:fs';

/**
 * `npm run esia-dev-keys`: creates the development GOST keys and certificates under
 * DATA_DIR/esia-dev (the broker and the emulator also do it on first start) and prints them.
 */
const config = loadConfig();
const openssl = createOpenssl(config.esia.openssl);
const paths = await ensureDevKeys(openssl, devKeysDir(config.storage.dataDir));
const hash = await gostCertificateHash(openssl, readFileSync(paths.clientCert, 'utf8'));
process.stdout.write(`development ESIA keys (never use them outside the local emulator):\n`);
for (const [name, path] of Object.entries(paths)) process.stdout.write(`  ${name.padEnd(15)} ${path}\n`);
process.stdout.write(`  client_certificate_hash ${hash}\n`);
