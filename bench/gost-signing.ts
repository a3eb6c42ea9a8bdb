import { readFileSync } from 'node:fs';
import { createEngineSigner } from '../src/esia/engine-signer.js';
import { createOpensslSigner } from '../src/esia/openssl-signer.js';
import { gostCertificateHash } from '../src/esia/certificate.js';
import { DEFAULT_GOST_ENGINE } from '../src/esia/openssl.js';
import type { EsiaSigner } from '../src/esia/signer.js';
import { sharedDevKeys, testOpenssl } from '../test/helpers/emulator.js';
import { runConcurrent, summarize } from './stats.js';

// GOST R 34.10-2012 signatures (two per login: /v2/ac and /v3/te), by both key-file signers:
// `openssl` spawns `openssl dgst -sign` with the gost engine for each; `engine` has the same
// engine loaded in this process. How long one takes, and how many two cores sustain in parallel.
const keys = await sharedDevKeys();
const openssl = testOpenssl();
const certPem = readFileSync(keys.clientCert, 'utf8');
const common = { openssl, keyFile: keys.clientKey, certFile: keys.clientCert, passphrase: undefined, certificateHash: () => gostCertificateHash(openssl, certPem) };
const signers: EsiaSigner[] = [createOpensslSigner(common), createEngineSigner({ ...common, enginePath: DEFAULT_GOST_ENGINE })];
const message = Buffer.from('EDIARYopenid fullname snils2026.11.23 12:00:00 +000012345678-1234-1234-1234-123456789abchttps://broker.example/esia/callback');

for (const signer of signers) {
  await signer.signRaw(message); // warm-up
  for (const concurrency of [1, 8, 32]) {
    const count = signer.kind === 'engine' ? 5000 : 200;
    const { durations, wallMs } = await runConcurrent(count, concurrency, async () => void (await signer.signRaw(message)));
    const s = summarize(durations);
    console.log(`${signer.kind} signRaw concurrency=${concurrency}: ${Math.round((count / wallMs) * 1000)}/s, p50 ${s.p50} ms, p95 ${s.p95} ms, p99 ${s.p99} ms`);
  }
}
