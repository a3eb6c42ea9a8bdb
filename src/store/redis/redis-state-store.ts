import { Redis } from 'ioredis';
import type { StateStore } from '../state-store.js';

// INCR then set the window only on the first hit, in one atomic script.
const INCREMENT_IN_WINDOW = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count`;

// All or nothing: every key below its limit (ARGV[2i-1]) gets INCR (window ARGV[2i] on a first
// hit); else nothing changes and the script answers -(index of the first full key), 1-based.
const INCREMENT_ALL_BELOW = `
for i = 1, #KEYS do
  if tonumber(redis.call('GET', KEYS[i]) or '0') >= tonumber(ARGV[2 * i - 1]) then return -i end
end
local counts = {}
for i = 1, #KEYS do
  counts[i] = redis.call('INCR', KEYS[i])
  if counts[i] == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[2 * i]) end
end
return counts`;

// DECR keeps the TTL; the last count takes the key with it.
const DECREMENT = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count <= 1 then redis.call('DEL', KEYS[1]) return 0 end
return redis.call('DECR', KEYS[1])`;

export interface RedisStateStoreOptions {
  url: string;
  /** Every key gets this prefix, so tests and tenants never collide. */
  keyPrefix: string;
  /** Each command fails after this long instead of hanging while Redis is away. */
  commandTimeoutMs?: number;
}

export async function createRedisStateStore(options: RedisStateStoreOptions): Promise<StateStore> {
  const redis = new Redis(options.url, {
    keyPrefix: options.keyPrefix,
    lazyConnect: true,
    // Fail fast while disconnected (readiness must report it) instead of queueing forever;
    // the client keeps reconnecting in the background.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: options.commandTimeoutMs ?? 2000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  redis.on('error', () => {
    // Connection errors surface through failed commands and /readyz; ioredis reconnects.
  });
  await redis.connect();

  return {
    kind: 'redis',
    async put(key, value, ttlMs) {
      await redis.set(key, value, 'PX', ttlMs);
    },
    async putIfAbsent(key, value, ttlMs) {
      return (await redis.set(key, value, 'PX', ttlMs, 'NX')) === 'OK';
    },
    async get(key) {
      return redis.get(key);
    },
    async take(key) {
      return redis.getdel(key);
    },
    async delete(key) {
      await redis.del(key);
    },
    async increment(key, windowMs) {
      return Number(await redis.eval(INCREMENT_IN_WINDOW, 1, key, windowMs));
    },
    async incrementAllBelow(counters) {
      const args = counters.flatMap((c) => [String(c.limit), String(c.windowMs)]);
      const answer = (await redis.eval(INCREMENT_ALL_BELOW, counters.length, ...counters.map((c) => c.key), ...args)) as number | number[];
      return typeof answer === 'number' ? { counted: false, full: -answer - 1 } : { counted: true, counts: answer.map(Number) };
    },
    async decrement(key) {
      await redis.eval(DECREMENT, 1, key);
    },
    async ttl(key) {
      const ms = await redis.pttl(key);
      return ms < 0 ? null : ms;
    },
    async ping() {
      await redis.ping();
    },
    async close() {
      redis.disconnect();
    },
  };
}
