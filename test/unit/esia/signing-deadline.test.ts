import t from 'tap';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createEsiaClient } from '../../../src/esia/client.js';
import { EsiaError } from '../../../src/esia/errors.js';
import type { EsiaHttp } from '../../../src/esia/http.js';
import type { IdTokenVerifier } from '../../../src/esia/id-token.js';
import { createHttpSigner } from '../../../src/esia/http-signer.js';
import { createOpenssl, DEFAULT_GOST_ENGINE } from '../../../src/esia/openssl.js';
import type { EsiaSigner } from '../../../src/esia/signer.js';
import { scratchDir } from '../../helpers/emulator.js';

// The caller's deadline reaches every place signing can wait: the openssl concurrency slots,
// the openssl process itself, the remote signing service, and a signer that ignores it.
const dir = scratchDir('signing-deadline-');
const startedLog = join(dir, 'started');
const sleeper = join(dir, 'sleeper');
// Stands in for openssl: logs its pid, then sleeps as long as its first argument says.
writeFileSync(sleeper, `#!/bin/sh\necho $$ >> '${startedLog}'\nexec sleep "$1"\n`);
chmodSync(sleeper, 0o755);
const started = () => readFileSync(startedLog, 'utf8').trim().split('\n').filter(Boolean);
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const settle = <T>(promise: Promise<T>) => promise.then((value) => ({ value }), (error: unknown) => ({ error }));
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test('openssl: the slot wait and the process are bounded by the signal', async (t) => {
  writeFileSync(startedLog, '');
  const openssl = createOpenssl({ bin: sleeper, enginePath: DEFAULT_GOST_ENGINE, maxConcurrent: 1, timeoutMs: 10_000 });
  const began = Date.now();
  const holder = settle(openssl.run(['30'], { signal: AbortSignal.timeout(2000) }));
  await pause(100);
  const waiter = await settle(openssl.run(['30'], { signal: AbortSignal.timeout(200) }));
  t.match(waiter, { error: { name: 'OpensslError', message: /deadline passed/ } }, 'the queued call gives up');
  t.ok(Date.now() - began < 1500, `queued call answered after ${Date.now() - began} ms, before the slot holder's 2 s`);
  t.equal(started().length, 1, 'the queued call never started a process');

  const held = await holder;
  t.match(held, { error: { name: 'OpensslError', message: /deadline passed/ } }, 'the running call gives up');
  t.ok(Date.now() - began < 6000, `running call answered after ${Date.now() - began} ms, not after its 30 s sleep`);
  await pause(100);
  t.notOk(alive(Number(started()[0])), 'its process was killed');

  const next = await settle(openssl.run(['0'], { signal: AbortSignal.timeout(2000) }));
  t.same(next, { value: Buffer.alloc(0) }, 'the slot is free again: the abandoned waiter did not keep it');
  t.equal(started().length, 2);
  t.match(await settle(openssl.run(['0'], { signal: AbortSignal.abort() })), { error: { message: /deadline passed/ } }, 'a spent deadline starts nothing');
  t.equal(started().length, 2);
});

t.test('http signer: a slow signing service is given up at the caller deadline', async (t) => {
  const server = createServer(() => undefined); // never answers
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  const signer = createHttpSigner({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/sign`, token: 't', timeoutMs: 10_000, fetch, certificateHash: async () => 'AB'.repeat(32) });
  const began = Date.now();
  t.match(await settle(signer.signRaw(Buffer.from('x'), AbortSignal.timeout(200))), { error: { name: 'SignerError', message: /unreachable/ } });
  t.ok(Date.now() - began < 3000, `answered after ${Date.now() - began} ms`);
});

t.test('client: a signer that ignores the deadline still cannot hold a login past it', async (t) => {
  const hanging: EsiaSigner = { kind: 'http', signRaw: () => new Promise(() => undefined), signCms: () => new Promise(() => undefined), certificateHash: async () => 'AB'.repeat(32) };
  const calls: string[] = [];
  const http: EsiaHttp = { call: async (call) => void calls.push(call.operation) };
  const client = createEsiaClient({
    settings: { url: 'https://esia.test', clientId: 'EDIARY', redirectUri: 'https://broker.test/esia/callback', scope: 'openid', scopeOrg: '', protocol: 'v2', secretEncoding: 'base64url', timeoutMs: 300 },
    signer: hanging,
    http,
    idTokens: {} as IdTokenVerifier,
  });
  const keepAlive = setTimeout(() => undefined, 2000); // AbortSignal.timeout does not hold the process open
  t.teardown(() => clearTimeout(keepAlive));
  for (const [what, work] of [['completeLogin', () => client.completeLogin('code')], ['authorizationUrl', () => client.authorizationUrl('state')]] as const) {
    const began = Date.now();
    const outcome = await settle<unknown>(work());
    t.ok(outcome && 'error' in outcome && outcome.error instanceof EsiaError, `${what}: an EsiaError`);
    t.match(outcome, { error: { failure: 'unavailable', detail: /signing: deadline passed/ } }, `${what}: unavailable, not client_rejected`);
    t.ok(Date.now() - began < 2000, `${what}: answered after ${Date.now() - began} ms`);
  }
  t.same(calls, [], 'ESIA was never called (so its circuit breaker saw nothing)');
});
