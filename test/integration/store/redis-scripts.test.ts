import t from 'tap';
import { Redis } from 'ioredis';
import { createRedisStateStore } from '../../../src/store/redis/redis-state-store.js';
import { freePort, hasRedisServer, startPrivateRedis, stopPrivateRedis } from '../../helpers/private-redis.js';

// The store runs its Lua scripts by SHA1 (EVALSHA) and sends a script's text only when the
// server lacks it (NOSCRIPT): a fresh server, and one whose script cache was flushed, as after a
// restart or a failover to a replica that never ran it.
t.test('scripts work on a fresh server and after SCRIPT FLUSH', { skip: !hasRedisServer() && 'needs redis-server' }, async (t) => {
  const port = await freePort();
  const server = await startPrivateRedis(port);
  t.teardown(() => stopPrivateRedis(server));
  const url = `redis://127.0.0.1:${port}`;
  const store = await createRedisStateStore({ url, keyPrefix: 'scripts:' });
  t.teardown(() => store.close());
  const admin = new Redis(url);
  t.teardown(() => admin.disconnect());

  t.equal(await store.increment('count', 60_000), 1, 'fresh server: NOSCRIPT, then the text');
  t.equal(await store.increment('count', 60_000), 2, 'then by its SHA1');
  t.match(await admin.info('commandstats'), /cmdstat_evalsha:calls=2,/, 'both asked by SHA1 first');
  await admin.script('FLUSH');
  t.equal(await store.increment('count', 60_000), 3, 'after SCRIPT FLUSH: the text again');
  t.same(await store.incrementAllBelow([{ key: '{a}:x', limit: 5, windowMs: 60_000 }, { key: '{a}:y', limit: 5, windowMs: 60_000 }]), { counted: true, counts: [1, 1] });
  await store.decrement('{a}:x');
  t.equal(await store.get('{a}:x'), null, 'decrement to zero takes the key');
  t.equal(await admin.get('scripts:count'), '3', 'keys keep the prefix');
});
