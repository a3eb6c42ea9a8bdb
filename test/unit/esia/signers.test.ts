import t from 'tap';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { reverseBytes } from '../../../src/esia/cryptopro-signer.js';
import { ensureDevKeys, generateGostKeyPair } from '../../../src/esia/dev-keys.js';
import { createOpenssl } from '../../../src/esia/openssl.js';
import { createSigner, selfTestSigner } from '../../../src/esia/signers.js';
import { opensslCli, scratchDir, testOpenssl } from '../../helpers/emulator.js';

const openssl = testOpenssl();
const dir = scratchDir();
const keys = await ensureDevKeys(openssl, join(dir, 'esia-dev'));
const message = Buffer.from('EDIARYopenid fullname2025.09.02 13:00:29 +03007497a6ec-6085-4722-9b35-367ab2139b6ahttps://x/cb', 'utf8');
const pubFile = join(dir, 'pub.pem');
writeFileSync(pubFile, opensslCli(['x509', '-in', keys.clientCert, '-pubkey', '-noout']));

function verifiesWithOpensslCli(signature: Buffer): boolean {
  const sigFile = join(dir, `sig-${Math.random()}.bin`);
  writeFileSync(sigFile, signature);
  try {
    return opensslCli(['dgst', '-md_gost12_256', '-verify', pubFile, '-signature', sigFile], message).toString().includes('Verified OK');
  } catch {
    return false;
  }
}

const opensslSigner = createSigner({ kind: 'openssl', keyFile: keys.clientKey, certFile: keys.clientCert, keyPassphrase: undefined, certHash: undefined }, { openssl, timeoutMs: 5000 });

t.test('certificate hash = openssl dgst -md_gost12_256 of the DER, uppercase hex', async (t) => {
  const der = opensslCli(['x509', '-in', keys.clientCert, '-outform', 'DER']);
  const reference = opensslCli(['dgst', '-md_gost12_256'], der).toString().split('= ')[1]?.trim().toUpperCase();
  const hash = await opensslSigner.certificateHash();
  t.match(hash, /^[0-9A-F]{64}$/);
  t.equal(hash, reference);
  const pinned = createSigner({ kind: 'openssl', keyFile: keys.clientKey, certFile: keys.clientCert, keyPassphrase: undefined, certHash: 'AB'.repeat(32) }, { openssl, timeoutMs: 5000 });
  t.equal(await pinned.certificateHash(), 'AB'.repeat(32), 'ESIA_CERT_HASH wins over the computed value');
});

t.test('openssl signer: 64-byte raw signature that openssl dgst -verify accepts', async (t) => {
  const signature = await opensslSigner.signRaw(message);
  t.equal(signature.length, 64);
  t.ok(verifiesWithOpensslCli(signature), 'verifies with the certificate public key');
  t.notOk(verifiesWithOpensslCli(reverseBytes(signature)), 'reversed bytes do not verify: byte order matters');
  const other = Buffer.from(message);
  other[0] = 0x41;
  t.notOk(verifiesWithOpensslCli(await opensslSigner.signRaw(other)), 'a signature of another message does not verify');
});

t.test('openssl signer: CMS detached signature for v1 verifies with openssl cms', async (t) => {
  const cms = await opensslSigner.signCms(message);
  const cmsFile = join(dir, 'sig.der');
  const msgFile = join(dir, 'msg.bin');
  writeFileSync(cmsFile, cms);
  writeFileSync(msgFile, message);
  const out = opensslCli(['cms', '-verify', '-binary', '-inform', 'DER', '-in', cmsFile, '-content', msgFile, '-noverify', '-nointern', '-certfile', keys.clientCert, '-out', '/dev/null']);
  t.ok(out !== undefined, 'openssl cms -verify succeeded (it throws otherwise)');
  const printed = opensslCli(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', cmsFile]).toString();
  t.match(printed, /eContent: <ABSENT>/, 'detached: the content is not inside');
});

t.test('openssl signer with an encrypted key and its passphrase', async (t) => {
  const keyFile = join(dir, 'enc-key.pem');
  writeFileSync(keyFile, opensslCli(['pkey', '-in', keys.clientKey, '-aes-256-cbc', '-passout', 'pass:Very-Secret-1']));
  const good = createSigner({ kind: 'openssl', keyFile, certFile: keys.clientCert, keyPassphrase: 'Very-Secret-1', certHash: undefined }, { openssl, timeoutMs: 5000 });
  t.ok(verifiesWithOpensslCli(await good.signRaw(message)));
  const bad = createSigner({ kind: 'openssl', keyFile, certFile: keys.clientCert, keyPassphrase: 'wrong', certHash: undefined }, { openssl, timeoutMs: 5000 });
  await t.rejects(selfTestSigner(bad, { openssl, certFile: keys.clientCert, protocol: 'v2' }), /ESIA signer self-test failed \(ESIA_SIGNER=openssl\): cannot sign/);
});

t.test('self-test passes for a matching pair and fails fast with a clear message otherwise', async (t) => {
  await selfTestSigner(opensslSigner, { openssl, certFile: keys.clientCert, protocol: 'v2' });
  await selfTestSigner(opensslSigner, { openssl, certFile: keys.clientCert, protocol: 'v1' });
  const stranger = await generateGostKeyPair(openssl, '/CN=stranger');
  const strangerCert = join(dir, 'stranger.pem');
  writeFileSync(strangerCert, stranger.cert);
  const mismatched = createSigner({ kind: 'openssl', keyFile: keys.clientKey, certFile: strangerCert, keyPassphrase: undefined, certHash: undefined }, { openssl, timeoutMs: 5000 });
  await t.rejects(selfTestSigner(mismatched, { openssl, certFile: strangerCert, protocol: 'v2' }), /does not verify with ESIA_CERT_FILE/);
  await t.rejects(selfTestSigner(mismatched, { openssl, certFile: strangerCert, protocol: 'v1' }), /cannot make a CMS signature.*key values mismatch/);
  const noEngine = createOpenssl({ bin: 'openssl', enginePath: '/nonexistent/gost.so' });
  const broken = createSigner({ kind: 'openssl', keyFile: keys.clientKey, certFile: keys.clientCert, keyPassphrase: undefined, certHash: undefined }, { openssl: noEngine, timeoutMs: 5000 });
  await t.rejects(selfTestSigner(broken, { openssl: noEngine, certFile: keys.clientCert, protocol: 'v2' }), /libengine-gost-openssl/);
});

t.test('byte reversal for cryptopro', async (t) => {
  t.same(reverseBytes(Buffer.from([1, 2, 3, 4])), Buffer.from([4, 3, 2, 1]));
  const original = Buffer.from([9, 8, 7]);
  reverseBytes(original);
  t.same(original, Buffer.from([9, 8, 7]), 'the input is not mutated');
});

t.test('cryptopro signer: csptest output (little-endian) is reversed into what openssl verifies', async (t) => {
  const csptestBin = join(import.meta.dirname, '..', '..', 'fixtures', 'fake-csptest.mjs');
  // fake-csptest is a Node script: its start alone can take seconds on a loaded machine.
  const signer = createSigner({ kind: 'cryptopro', container: keys.clientKey, password: undefined, csptestBin, certFile: keys.clientCert, certHash: undefined }, { openssl, timeoutMs: 30_000 });
  const signature = await signer.signRaw(message);
  t.equal(signature.length, 64);
  t.ok(verifiesWithOpensslCli(signature), 'reversed csptest output verifies');
  await selfTestSigner(signer, { openssl, certFile: keys.clientCert, protocol: 'v2' });
  await t.rejects(signer.signCms(message), /raw signatures only/);
  const missing = createSigner({ kind: 'cryptopro', container: 'x', password: undefined, csptestBin: '/nonexistent/csptest', certFile: keys.clientCert, certHash: undefined }, { openssl, timeoutMs: 5000 });
  await t.rejects(selfTestSigner(missing, { openssl, certFile: keys.clientCert, protocol: 'v2' }), /cannot sign: cannot run \/nonexistent\/csptest/);
});

t.test('http signer: bearer token, octet-stream in, signature out', async (t) => {
  const seen: Array<{ auth?: string; accept?: string; type?: string }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ auth: req.headers.authorization, accept: req.headers.accept, type: req.headers['content-type'] });
      if (req.headers.authorization !== 'Bearer hsm-token-1') return res.writeHead(401).end();
      openssl.run(['dgst', '-md_gost12_256', '-sign', keys.clientKey], { input: Buffer.concat(chunks) }).then((sig) => res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(sig));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sign`;
  const signer = createSigner({ kind: 'http', url, token: 'hsm-token-1', certFile: keys.clientCert, certHash: undefined }, { openssl, timeoutMs: 2000 });
  t.ok(verifiesWithOpensslCli(await signer.signRaw(message)));
  t.same(seen[0], { auth: 'Bearer hsm-token-1', accept: 'application/octet-stream', type: 'application/octet-stream' });
  const unauthorised = createSigner({ kind: 'http', url, token: 'wrong', certFile: keys.clientCert, certHash: undefined }, { openssl, timeoutMs: 2000 });
  await t.rejects(selfTestSigner(unauthorised, { openssl, certFile: keys.clientCert, protocol: 'v2' }), /signing service answered HTTP 401/);
});
