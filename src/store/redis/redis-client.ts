import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

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

/** REDIS_URL's user, password and TLS, for connections to hosts it does not name (Sentinel, Cluster). */
export function credentialsOf(url: URL): Pick<RedisOptions, 'username' | 'password' | 'tls'> {
  return {
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** Redis Sentinel: the primary the sentinels name, with the URL's credentials, database and TLS. */
function sentinelConnection(url: URL, sentinel: NonNullable<RedisStateStoreOptions['sentinel']>): RedisOptions {
  return {
    ...credentialsOf(url),
    db: Number(url.pathname.slice(1) || 0),
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
    redisOptions: { ...perNode, ...credentialsOf(url) },
  };
  return new Cluster(cluster.nodes.map((n) => ({ host: n.host, port: n.port })), options);
}

/**
 * A cluster serves when every primary the client knows answers and says cluster_state:ok (all
 * slots covered); a single PING to one node would not see a shard that is down.
 */
export async function clusterServes(cluster: Cluster): Promise<void> {
  const primaries = cluster.nodes('master');
  if (primaries.length === 0) throw new Error('no cluster primary known');
  const infos = await Promise.all(primaries.map((node) => node.cluster('INFO') as Promise<string>));
  if (!infos.every((info) => /^cluster_state:ok\b/m.test(info))) throw new Error('cluster_state is not ok (slots uncovered or a failover under way)');
}

/** The client the state store (and `doctor`) talks through: one server, via Sentinel, or a Cluster; connected. */
export async function openRedisClient(options: RedisStateStoreOptions): Promise<Redis | Cluster> {
  const settings: RedisOptions = {
    keyPrefix: options.keyPrefix,
    lazyConnect: true,
    // Fail fast while disconnected (readiness must report it, requests answer 503) instead of
    // queueing forever; the client keeps reconnecting in the background.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // A command still unanswered when its connection dropped is not sent again on the next one:
    // its caller has had its deadline's error (503) by then, and a write applied behind its back
    // would stick (a failure-limit slot counted for no one, a DPoP proof's jti taken). It fails instead.
    // This covers one connection's queue only: on a Cluster, an auto-pipelined batch that failed
    // as a whole when its primary died is still sent again by ioredis (docs/operations.md).
    autoResendUnfulfilledCommands: false,
    // A Redis that accepts but never answers (black-holed, paused) must not hold a request:
    // every command has a deadline well below the HTTP request timeout.
    commandTimeout: options.commandTimeoutMs ?? 2000,
    connectTimeout: options.commandTimeoutMs ?? 2000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    // Commands issued in the same tick (the two revocation marks of one /userinfo, and those of
    // concurrent requests) leave in one write: fewer syscalls and round trips under load.
    enableAutoPipelining: true,
  };
  const redis: Redis | Cluster = options.cluster
    ? clusterClient(new URL(options.url), options.cluster, settings)
    : options.sentinel
      ? new Redis({ ...sentinelConnection(new URL(options.url), options.sentinel), ...settings })
      : new Redis(options.url, settings);
  redis.on('error', () => {
    // Connection errors surface through failed commands and /readyz; ioredis reconnects.
  });
  // A cluster that answers but has slots no one serves never gets ready: give up like a refused
  // connection instead of waiting for good.
  const deadlineMs = Math.max(5000, 3 * (options.commandTimeoutMs ?? 2000));
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`not ready within ${deadlineMs} ms`)), deadlineMs);
      }),
    ]);
  } catch (error) {
    // Else it keeps reconnecting in the background and holds the process open.
    redis.disconnect();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return redis;
}
