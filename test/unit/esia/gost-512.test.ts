import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { esiaEnvSchema } from '../../../src/config/esia.js';
import { gostCertificateHash } from '../../../src/esia/certificate.js';
import { generateGostKeyPair } from '../../../src/esia/dev-keys.js';
import { createSigner, selfTestSigner, signerKeyBits } from '../../../src/esia/signers.js';
import { opensslCli, scratchDir, testOpenssl } from '../../helpers/emulator.js';

/** GOST R 34.10-2012 512-bit certificates: Streebog-512 for the signature and the certificate hash. */
const openssl = testOpenssl();
const dir = scratchDir();
const message = Buffer.from('EDIARYopenid fullname2025.09.02 13:00:29 +0000state-1https://x/cb', 'utf8');
const csptestBin = join(import.meta.dirname, '..', '..', 'fixtures', 'fake-csptest.mjs');

async function pair(bits: 256 | 512) {
  const { key, cert } = await generateGostKeyPair(openssl, `/CN=client ${bits}`, bits);
  const keyFile = join(dir, `key-${bits}.pem`);
  const certFile = join(dir, `cert-${bits}.pem`);
  writeFileSync(keyFile, key);
  writeFileSync(certFile, cert);
  writeFileSync(join(dir, `pub-${bits}.pem`), opensslCli(['x509', '-in', certFile, '-pubkey', '-noout']));
  return { keyFile, certFile, cert };
}

/** openssl's own CLI, outside our code, verifies with the digest the key size calls for. */
function verifies(bits: 256 | 512, signature: Buffer): boolean {
  const sigFile = join(dir, `sig-${Math.random()}.bin`);
  writeFileSync(sigFile, signature);
  try {
    return opensslCli(['dgst', `-md_gost12_${bits}`, '-verify', join(dir, `pub-${bits}.pem`), '-signature', sigFile], message).toString().includes('Verified OK');
  } catch {
    return false;
  }
}

const keys = { 256: await pair(256), 512: await pair(512) };

for (const bits of [256, 512] as const) {
  const { keyFile, certFile, cert } = keys[bits];
  const hashLength = bits / 4;
  const sigLength = bits / 4;

  t.test(`openssl signer, ${bits}-bit key: ${sigLength}-byte signature, ${hashLength}-hex Streebog-${bits} hash, v2 and v1 self-tests`, async (t) => {
    const signer = createSigner({ kind: 'openssl', keyFile, certFile, keyPassphrase: undefined, certHash: undefined }, { openssl, timeoutMs: 5000 });
    const signature = await signer.signRaw(message);
    t.equal(signature.length, sigLength);
    t.ok(verifies(bits, signature), `openssl dgst -md_gost12_${bits} -verify accepts it`);
    const hash = await signer.certificateHash();
    t.equal(hash.length, hashLength);
    const der = opensslCli(['x509', '-in', certFile, '-outform', 'DER']);
    t.equal(hash, opensslCli(['dgst', `-md_gost12_${bits}`, '-r'], der).toString().split(' ')[0]?.toUpperCase(), 'the hash of the DER');
    await selfTestSigner(signer, { openssl, certFile, protocol: 'v2' });
    await selfTestSigner(signer, { openssl, certFile, protocol: 'v1' });
    const printed = opensslCli(['cms', '-cmsout', '-print', '-inform', 'DER'], await signer.signCms(message)).toString();
    t.match(printed, bits === 512 ? /GOST R 34\.11-2012 with 512 bit hash|md_gost12_512/ : /GOST R 34\.11-2012 with 256 bit hash|md_gost12_256/, 'the CMS digest follows the key size');
  });

  t.test(`cryptopro signer (fake csptest), ${bits}-bit key: GOST12_${bits}, reversed into what openssl verifies`, async (t) => {
    const signer = createSigner({ kind: 'cryptopro', container: keyFile, password: undefined, csptestBin, certFile, certHash: undefined }, { openssl, timeoutMs: 5000 });
    const signature = await signer.signRaw(message);
    t.equal(signature.length, sigLength);
    t.ok(verifies(bits, signature));
    t.equal(await signer.certificateHash(), await gostCertificateHash(openssl, cert));
    await selfTestSigner(signer, { openssl, certFile, protocol: 'v2' });
    const hashOnly = createSigner({ kind: 'cryptopro', container: keyFile, password: undefined, csptestBin, certFile: undefined, certHash: await gostCertificateHash(openssl, cert) }, { openssl, timeoutMs: 5000 });
    t.ok(verifies(bits, await hashOnly.signRaw(message)), `without a certificate file, a ${hashLength}-hex ESIA_CERT_HASH picks the ${bits}-bit algorithm`);
    await selfTestSigner(hashOnly, { openssl, certFile: undefined, protocol: 'v2' });
  });
}

t.test('key size: from the certificate, else from the length of ESIA_CERT_HASH', async (t) => {
  t.equal(signerKeyBits(keys[512].cert, undefined), 512);
  t.equal(signerKeyBits(keys[256].cert, 'AB'.repeat(64)), 256, 'the certificate wins');
  t.equal(signerKeyBits(undefined, 'AB'.repeat(64)), 512);
  t.equal(signerKeyBits(undefined, 'AB'.repeat(32)), 256);
});

t.test('a mismatched size fails the self-test with a clear message', async (t) => {
  // A 512-bit key presented with a 256-bit certificate's hash: the signature is 128 bytes, not 64.
  const signer = createSigner({ kind: 'cryptopro', container: keys[512].keyFile, password: undefined, csptestBin, certFile: undefined, certHash: 'AB'.repeat(32) }, { openssl, timeoutMs: 5000 });
  await t.rejects(selfTestSigner(signer, { openssl, certFile: undefined, protocol: 'v2' }), /cannot sign|signature is 128 bytes, expected 64/);
});

t.test('ESIA_CERT_HASH: 64 or 128 hex characters, upper-cased; anything else refused', async (t) => {
  t.equal(esiaEnvSchema.parse({ ESIA_CERT_HASH: 'ab'.repeat(32) }).ESIA_CERT_HASH, 'AB'.repeat(32));
  t.equal(esiaEnvSchema.parse({ ESIA_CERT_HASH: 'cd'.repeat(64) }).ESIA_CERT_HASH, 'CD'.repeat(64));
  for (const bad of ['AB'.repeat(20), 'AB'.repeat(48), `${'AB'.repeat(63)}ZZ`]) {
    const result = esiaEnvSchema.safeParse({ ESIA_CERT_HASH: bad });
    t.notOk(result.success, `${bad.length} characters refused`);
    t.match(result.error?.issues[0]?.message, /64 hex characters.*or 128 for a 512-bit key/);
  }
});
