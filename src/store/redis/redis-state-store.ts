import { createHash } from 'node:crypto';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { assertOneSlot } from '../hash-tag.js';
import type { StateStore } from '../state-store.js';
import { StoreUnavailable } from '../unavailable.js';

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

const shas = new Map<string, string>();
const scriptSha = (script: string) => {
  let sha = shas.get(script);
  if (!sha) shas.set(script, (sha = createHash('sha1').update(script).digest('hex')));
  return sha;
};

// DECR keeps the TTL; the last count takes the key with it.
const DECREMENT = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count <= 1 then redis.call('DEL', KEYS[1]) return 0 end
return redis.call('DECR', KEYS[1])`;

export interface RedisStateStoreOptions {
  url: string;
  /** Every key gets this prefix, so tests and tenants never collide. */
  keyPrefix: string;
  /** Each command fails after this long instead of hanging while Redis is away (REDIS_COMMAND_TIMEOUT_MS). */
  commandTimeoutMs?: number;
  /** Redis Sentinel: the primary is asked of these; url then gives only password, db and TLS. */
  sentinel?: { sentinels: ReadonlyArray<{ host: string; port: number }>; name: string } | undefined;
  /** Redis Cluster: any of its nodes to start from; url then gives only user, password and TLS. */
  cluster?: { nodes: ReadonlyArray<{ host: string; port: number }> } | undefined;
}

// Redis answered, but says it cannot serve now (loading, read-only replica, out of memory, …).
const UNAVAILABLE_REPLIES = /^(LOADING|BUSY|MASTERDOWN|READONLY|OOM|MISCONF|NOREPLICAS|TRYAGAIN|CLUSTERDOWN)\b/;

/**
 * ioredis' connection-level failures (refused, closed, not writeable while offline, command
 * timed out, retries exhausted) and Redis' "cannot serve now" replies are an outage; any other
 * reply error (WRONGTYPE, a bad script) is a bug and passes through unchanged.
 */
function translated(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  if (error.name === 'ReplyError' && !UNAVAILABLE_REPLIES.test(error.message)) return error;
  return new StoreUnavailable('redis', error.message.slice(0, 120), { cause: error });
}

/** Redis Sentinel: the primary the sentinels name, with the URL's credentials, database and TLS. */
function sentinelConnection(url: URL, sentinel: NonNullable<RedisStateStoreOptions['sentinel']>): RedisOptions {
  return {
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    db: Number(url.pathname.slice(1) || 0),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    sentinels: sentinel.sentinels.map((s) => ({ host: s.host, port: s.port })),
    name: sentinel.name,
    // No failoverDetector: a dead primary closes the connection anyway, and every reconnect asks
    // the sentinels afresh. (With it, the detector's disconnect racing that reconnect has left the
    // client not ready for good in the failover test.)
    sentinelRetryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  };
}

/**
 * Redis Cluster: the seed nodes tell the client the slot map; each command goes to its key's
 * primary. The per-node settings are the single client's (timeouts, no offline queue); a command
 * that meets a closed connection or CLUSTERDOWN while a shard fails over is retried on the fresh
 * slot map every 100 ms, at most 16 times (ioredis' maxRedirections), then fails as unavailable.
 */
function clusterClient(url: URL, cluster: NonNullable<RedisStateStoreOptions['cluster']>, settings: RedisOptions): Cluster {
  const { keyPrefix, lazyConnect, enableOfflineQueue, retryStrategy, enableAutoPipelining, ...perNode } = settings;
  const options: ClusterOptions = {
    keyPrefix,
    lazyConnect,
    enableOfflineQueue,
    enableAutoPipelining,
    clusterRetryStrategy: retryStrategy,
    // Writes and reads both go to the primaries: a replica may lag, and a code taken on one
    // primary must not still be readable on its replica.
    scaleReads: 'master',
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    retryDelayOnTryAgain: 100,
    slotsRefreshTimeout: perNode.commandTimeout,
    redisOptions: {
      ...perNode,
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    },
  };
  return new Cluster(cluster.nodes.map((n) => ({ host: n.host, port: n.port })), options);
}

/**
 * A cluster serves when every primary the client knows answers and says cluster_state:ok (all
 * slots covered); a single PING to one node would not see a shard that is down.
 */
async function clusterServes(cluster: Cluster): Promise<void> {
  const primaries = cluster.nodes('master');
  if (primaries.length === 0) throw new Error('no cluster primary known');
  const infos = await Promise.all(primaries.map((node) => node.cluster('INFO') as Promise<string>));
  if (!infos.every((info) => /^cluster_state:ok\b/m.test(info))) throw new Error('cluster_state is not ok (slots uncovered or a failover under way)');
}

export async function createRedisStateStore(options: RedisStateStoreOptions): Promise<StateStore> {
  const settings: RedisOptions = {
    keyPrefix: options.keyPrefix,
    lazyConnect: true,
    // Fail fast while disconnected (readiness must report it, requests answer 503) instead of
    // queueing forever; the client keeps reconnecting in the background.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // A Redis that accepts but never answers (black-holed, paused) must not hold a request:
    // every command has a deadline well below the HTTP request timeout.
    commandTimeout: options.commandTimeoutMs ?? 2000,
    connectTimeout: options.commandTimeoutMs ?? 2000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    // Commands issued in the same tick (the two revocation marks of one /userinfo, and those of
    // concurrent requests) leave in one write: fewer syscalls and round trips under load.
    enableAutoPipelining: true,
  };
  const cluster = options.cluster ? clusterClient(new URL(options.url), options.cluster, settings) : undefined;
  const redis: Redis | Cluster =
    cluster ?? (options.sentinel ? new Redis({ ...sentinelConnection(new URL(options.url), options.sentinel), ...settings }) : new Redis(options.url, settings));
  redis.on('error', () => {
    // Connection errors surface through failed commands and /readyz; ioredis reconnects.
  });
  await redis.connect();

  /**
   * A script by its SHA1 (EVALSHA): the failure limit runs two per token call, and sending each
   * script's text every time showed in the profile. A server that does not have it yet (fresh,
   * restarted, another cluster node) answers NOSCRIPT, and EVAL sends the text once, caching it.
   */
  async function evalScript(script: string, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    try {
      return await redis.evalsha(scriptSha(script), keys.length, ...keys, ...args);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) return redis.eval(script, keys.length, ...keys, ...args);
      throw error;
    }
  }

  async function run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw translated(error);
    }
  }

  return {
    kind: 'redis',
    async put(key, value, ttlMs) {
      await run(() => redis.set(key, value, 'PX', ttlMs));
    },
    async putIfAbsent(key, value, ttlMs) {
      return (await run(() => redis.set(key, value, 'PX', ttlMs, 'NX'))) === 'OK';
    },
    async get(key) {
      return run(() => redis.get(key));
    },
    async take(key) {
      return run(() => redis.getdel(key));
    },
    async delete(key) {
      await run(() => redis.del(key));
    },
    async increment(key, windowMs) {
      return Number(await run(() => evalScript(INCREMENT_IN_WINDOW, [key], [windowMs])));
    },
    async incrementAllBelow(counters) {
      assertOneSlot('incrementAllBelow', counters.map((c) => c.key));
      const args = counters.flatMap((c) => [String(c.limit), String(c.windowMs)]);
      const answer = (await run(() => evalScript(INCREMENT_ALL_BELOW, counters.map((c) => c.key), args))) as number | number[];
      return typeof answer === 'number' ? { counted: false, full: -answer - 1 } : { counted: true, counts: answer.map(Number) };
    },
    async decrement(key) {
      await run(() => evalScript(DECREMENT, [key], []));
    },
    async ttl(key) {
      const ms = await run(() => redis.pttl(key));
      return ms < 0 ? null : ms;
    },
    async ping() {
      await run(async () => void (cluster ? await clusterServes(cluster) : await redis.ping()));
    },
    async close() {
      redis.disconnect();
    },
  };
}
