import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { startBroker } from '../../helpers/broker.js';
import { freePort, hasRedisServer, startPrivateRedis, stopPrivateRedis } from '../../helpers/private-redis.js';

t.test('killing Redis makes /readyz answer 503 naming it; it recovers by itself', { skip: hasRedisServer() ? false : 'redis-server not installed' }, async (t) => {
  const port = await freePort();
  let redis = await startPrivateRedis(port);
  t.teardown(() => stopPrivateRedis(redis));
  const broker = await startBroker({ env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
  t.teardown(() => broker.close());

  t.equal((await fetch(`${broker.url}/readyz`)).status, 200, 'ready with Redis up');

  await stopPrivateRedis(redis);
  const started = Date.now();
  const down = await fetch(`${broker.url}/readyz`);
  const elapsed = Date.now() - started;
  t.equal(down.status, 503);
  const body = (await down.json()) as { failed: string[]; checks: Record<string, string> };
  t.same(body.failed, ['redis'], 'names Redis, and only Redis');
  t.ok(elapsed < 2000, `answered in ${elapsed} ms (< 2 s)`);

  redis = await startPrivateRedis(port);
  let status = 0;
  for (let i = 0; i < 50 && status !== 200; i++) {
    await sleep(100);
    status = (await fetch(`${broker.url}/readyz`)).status;
  }
  t.equal(status, 200, 'ready again once Redis is back, without a restart');
});
