import { readFileSync } from 'node:fs';
import { createOpensslSigner } from '../src/esia/openssl-signer.js';
import { gostCertificateHash } from '../src/esia/certificate.js';
import { sharedDevKeys, testOpenssl } from '../test/helpers/emulator.js';
import { runConcurrent, summarize } from './stats.js';

// GOST R 34.10-2012 signatures through openssl + gost engine: each is a spawned process (two per
// login: /v2/ac and /v3/te). How long one takes, and how many two cores sustain in parallel.
const keys = await sharedDevKeys();
const openssl = testOpenssl();
const certPem = readFileSync(keys.clientCert, 'utf8');
const signer = createOpensslSigner({ openssl, keyFile: keys.clientKey, certFile: keys.clientCert, passphrase: undefined, certificateHash: () => gostCertificateHash(openssl, certPem) });
const message = Buffer.from('EDIARYopenid fullname snils2026.11.23 12:00:00 +000012345678-1234-1234-1234-123456789abchttps://broker.example/esia/callback');

await signer.signRaw(message); // warm-up
for (const concurrency of [1, 8, 32]) {
  const { durations, wallMs } = await runConcurrent(200, concurrency, async () => void (await signer.signRaw(message)));
  const s = summarize(durations);
  console.log(`signRaw concurrency=${concurrency}: ${Math.round((200 / wallMs) * 1000)}/s, p50 ${s.p50} ms, p95 ${s.p95} ms, p99 ${s.p99} ms`);
}
