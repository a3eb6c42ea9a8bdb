import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnBroker } from '../../helpers/spawn-broker.js';

const productionEnv = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/unused',
  REDIS_URL: 'redis://127.0.0.1:6379',
  COOKIE_SECRET: 'cookie-secret-0123456789abcdef',
  SNILS_HMAC_KEY: 'snils-hmac-key-0123456789abcdef',
  KEY_ENCRYPTION_KEY: 'key-encryption-key-0123456789ab',
};

t.test('production without a secret refuses to start, naming it', async (t) => {
  const { SNILS_HMAC_KEY: _omitted, ...env } = productionEnv;
  const broker = spawnBroker(env);
  const { code } = await broker.exit;
  t.not(code, 0, 'non-zero exit');
  t.match(broker.output(), /SNILS_HMAC_KEY: required in production/);
});

t.test('an invalid PORT refuses to start, naming it', async (t) => {
  const broker = spawnBroker({ ...productionEnv, PORT: 'http' });
  const { code } = await broker.exit;
  t.not(code, 0);
  t.match(broker.output(), /PORT: must be a number/);
});

t.test('on embedded defaults the service starts, is ready, and stops on SIGTERM', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'esia-broker-start-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const broker = spawnBroker({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir });
  t.teardown(() => broker.child.kill('SIGKILL'));
  const url = await broker.ready;

  const ready = await fetch(`${url}/readyz`);
  t.equal(ready.status, 200, '/readyz answers 200');
  t.same(((await ready.json()) as { checks: unknown }).checks, { pglite: 'ok', memory: 'ok' });

  // A request in flight when SIGTERM arrives (headers sent, body not yet) is still answered.
  const socket = connect(Number(new URL(url).port), '127.0.0.1');
  await once(socket, 'connect');
  socket.write('POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{');
  await sleep(200);
  broker.child.kill('SIGTERM');
  await sleep(200);
  let response = '';
  socket.on('data', (chunk: Buffer) => (response += chunk.toString()));
  socket.end('}');
  await once(socket, 'close');
  t.match(response, /^HTTP\/1\.1 (404|503)/, 'in-flight request answered, not dropped');
  const { code } = await broker.exit;
  t.equal(code, 0, 'clean exit on SIGTERM');
  t.match(broker.output(), /"msg":"stopped"/);
  await t.rejects(fetch(`${url}/healthz`), 'no longer listening');
});
