import t from 'tap';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { certificateKeyType } from '../../../src/esia/certificate.js';
import { ensureDevKeys, generateGostKeyPair } from '../../../src/esia/dev-keys.js';
import { loadGostEngine } from '../../../src/esia/engine-signer.js';
import { createIdTokenVerifier } from '../../../src/esia/id-token.js';
import { signJwt, type TokenKeys } from '../../../src/emulator/tokens.js';
import { DEFAULT_GOST_ENGINE } from '../../../src/esia/openssl.js';
import { createSigner, selfTestSigner } from '../../../src/esia/signers.js';
import type { EsiaSignerConfig } from '../../../src/config/esia.js';
import { opensslCli, scratchDir, testOpenssl } from '../../helpers/emulator.js';

// The in-process signer is checked against the openssl command line on random inputs, never
// against itself: every signature must verify with `openssl dgst -verify` and the certificate.
const openssl = testOpenssl();
const dir = scratchDir();
const keys = await ensureDevKeys(openssl, join(dir, 'esia-dev'));
const engine = (over: Partial<Extract<EsiaSignerConfig, { kind: 'engine' }>> = {}) =>
  createSigner({ kind: 'engine', keyFile: keys.clientKey, certFile: keys.clientCert, keyPassphrase: undefined, certHash: undefined, enginePath: DEFAULT_GOST_ENGINE, ...over }, { openssl, timeoutMs: 5000 });

let files = 0;
function verifiesWithOpensslCli(certFile: string, message: Buffer, signature: Buffer, digest = 'md_gost12_256'): boolean {
  const n = files++;
  const pub = join(dir, `pub-${n}.pem`);
  const sig = join(dir, `sig-${n}.bin`);
  writeFileSync(pub, opensslCli(['x509', '-in', certFile, '-pubkey', '-noout']));
  writeFileSync(sig, signature);
  try {
    return opensslCli(['dgst', `-${digest}`, '-verify', pub, '-signature', sig], message).toString().includes('Verified OK');
  } catch {
    return false;
  }
}

t.test('engine signer: random messages, each signature verifies with openssl dgst -verify', async (t) => {
  const signer = engine();
  t.equal(signer.kind, 'engine');
  for (let i = 0; i < 25; i++) {
    const message = randomBytes(1 + Math.floor(Math.random() * 600));
    const signature = await signer.signRaw(message);
    t.equal(signature.length, 64, `#${i}: 64 bytes`);
    t.ok(verifiesWithOpensslCli(keys.clientCert, message, signature), `#${i}: verifies`);
    const other = Buffer.concat([message, Buffer.from([0])]);
    if (i < 3) t.notOk(verifiesWithOpensslCli(keys.clientCert, other, signature), `#${i}: not for another message`);
  }
});

t.test('the spawning signer verifies what the engine signed and the other way round (same byte order)', async (t) => {
  const spawning = createSigner({ kind: 'openssl', keyFile: keys.clientKey, certFile: keys.clientCert, keyPassphrase: undefined, certHash: undefined }, { openssl, timeoutMs: 5000 });
  const message = randomBytes(200);
  const [fromEngine, fromProcess] = await Promise.all([engine().signRaw(message), spawning.signRaw(message)]);
  t.ok(verifiesWithOpensslCli(keys.clientCert, message, fromEngine));
  t.ok(verifiesWithOpensslCli(keys.clientCert, message, fromProcess));
  t.equal(fromEngine.length, fromProcess.length);
});

t.test('a 512-bit key signs with Streebog-512: 128 bytes, a 128-hex certificate hash, v1 CMS with Streebog-512', async (t) => {
  const pair = await generateGostKeyPair(openssl, '/CN=engine 512', 512);
  const keyFile = join(dir, 'k512.pem');
  const certFile = join(dir, 'c512.pem');
  writeFileSync(keyFile, pair.key);
  writeFileSync(certFile, pair.cert);
  const signer = engine({ keyFile, certFile });
  const message = randomBytes(300);
  const signature = await signer.signRaw(message);
  t.equal(signature.length, 128);
  t.ok(verifiesWithOpensslCli(certFile, message, signature, 'md_gost12_512'));
  const der = opensslCli(['x509', '-in', certFile, '-outform', 'DER']);
  t.equal(await signer.certificateHash(), opensslCli(['dgst', '-md_gost12_512', '-r'], der).toString().split(' ')[0]?.toUpperCase(), 'client_certificate_hash: Streebog-512 of the DER, 128 hex');
  await selfTestSigner(signer, { openssl, certFile, protocol: 'v2' });
  await selfTestSigner(signer, { openssl, certFile, protocol: 'v1' });
  const cms = opensslCli(['cms', '-cmsout', '-print', '-inform', 'DER'], await signer.signCms(message)).toString();
  t.match(cms, /GOST R 34\.11-2012 with 512 bit hash|md_gost12_512/, 'v1 CMS with Streebog-512');
});

t.test('encrypted key: the passphrase opens it; a wrong one is refused at construction, naming the setting', async (t) => {
  const keyFile = join(dir, 'enc-key.pem');
  writeFileSync(keyFile, opensslCli(['pkey', '-in', keys.clientKey, '-aes-256-cbc', '-passout', 'pass:Very-Secret-1']));
  const message = randomBytes(64);
  t.ok(verifiesWithOpensslCli(keys.clientCert, message, await engine({ keyFile, keyPassphrase: 'Very-Secret-1' }).signRaw(message)));
  t.throws(() => engine({ keyFile, keyPassphrase: 'wrong' }), /ESIA_KEY_FILE: cannot read the GOST key[\s\S]*ESIA_KEY_PASSPHRASE/);
});

t.test('v1 CMS still works (through openssl) and the self-test passes for v1 and v2', async (t) => {
  await selfTestSigner(engine(), { openssl, certFile: keys.clientCert, protocol: 'v2' });
  await selfTestSigner(engine(), { openssl, certFile: keys.clientCert, protocol: 'v1' });
  const stranger = await generateGostKeyPair(openssl, '/CN=stranger');
  const strangerCert = join(dir, 'stranger.pem');
  writeFileSync(strangerCert, stranger.cert);
  await t.rejects(selfTestSigner(engine({ certFile: strangerCert }), { openssl, certFile: strangerCert, protocol: 'v2' }), /ESIA_SIGNER=engine\): the signature does not verify with ESIA_CERT_FILE/);
});

t.test('an aborted deadline rejects; parallel signatures all verify', async (t) => {
  const signer = engine();
  await t.rejects(signer.signRaw(Buffer.from('x'), AbortSignal.abort()), /deadline/);
  const messages = Array.from({ length: 50 }, () => randomBytes(100));
  const signatures = await Promise.all(messages.map((m) => signer.signRaw(m)));
  t.ok(messages.slice(0, 5).every((m, i) => verifiesWithOpensslCli(keys.clientCert, m, signatures[i]!)), 'a sample of them verifies');
});

t.test('one engine per process: a second path is refused with a clear message; the same path again is fine', async (t) => {
  t.doesNotThrow(() => loadGostEngine(DEFAULT_GOST_ENGINE));
  t.throws(() => loadGostEngine('/nonexistent/gost.so'), /already loaded/);
  // With the engine in the process Node can read GOST keys: the key type still comes from the OID.
  t.equal(certificateKeyType(readFileSync(keys.clientCert, 'utf8')), 'gost');
});

t.test("the broker's own ES256 and RS256 tokens are untouched by the engine", async (t) => {
  const { generateKeyPairSync, sign, verify } = await import('node:crypto');
  for (const kind of ['ec', 'rsa'] as const) {
    const pair = kind === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
    const data = randomBytes(50);
    t.ok(verify('sha256', data, pair.publicKey, sign('sha256', data, pair.privateKey)), kind);
  }
});

t.test('with the engine loaded, a GOST id_token from ESIA is checked in process: no openssl spawned, tampering and a foreign key refused', async (t) => {
  loadGostEngine(DEFAULT_GOST_ENGINE);
  const tokenKeys: TokenKeys = { rsaKeyPem: '', rsaCertPem: '', gostKeyFile: keys.esiaGostKey, gostCertPem: readFileSync(keys.esiaGostCert, 'utf8') };
  let spawned = 0;
  const counting = new Proxy(openssl, { get: (target, name, receiver) => (name === 'run' ? (...a: Parameters<typeof openssl.run>) => (spawned++, target.run(...a)) : Reflect.get(target, name, receiver)) });
  const now = 1_760_000_000;
  const claims = { aud: 'MNEMONIC', sub: 1000000001, nbf: now, iat: now, exp: now + 3600, iss: 'http://esia.gosuslugi.ru/' };
  const verifier = await createIdTokenVerifier({ certificatesPem: tokenKeys.gostCertPem, algs: ['GOST3410_2012_256'], issuer: 'http://esia.gosuslugi.ru/', clientId: 'MNEMONIC', leewaySec: 60, openssl: counting, now: () => now * 1000 });
  const jwt = await signJwt(openssl, tokenKeys, 'GOST3410_2012_256', { ver: 0, typ: 'JWT', sbt: 'id' }, claims);
  spawned = 0;
  t.equal((await verifier.verify(jwt)).oid, '1000000001', 'a signature openssl made verifies in process');
  const tampered = jwt.replace(/\.[^.]+\./, `.${Buffer.from(JSON.stringify({ ...claims, sub: 1000000002 })).toString('base64url')}.`);
  await t.rejects(verifier.verify(tampered), /signature does not verify/);
  const foreign = await generateGostKeyPair(openssl, '/CN=not ESIA');
  writeFileSync(join(dir, 'foreign-esia-key.pem'), foreign.key);
  const forged = await signJwt(openssl, { ...tokenKeys, gostKeyFile: join(dir, 'foreign-esia-key.pem') }, 'GOST3410_2012_256', { ver: 0, typ: 'JWT', sbt: 'id' }, claims);
  spawned = 0;
  await t.rejects(verifier.verify(forged), /signature does not verify/, 'signed by another key');
  t.equal(spawned, 0, 'no openssl process for the checks');
});
