import { Redis } from 'ioredis';
import { credentialsOf, openRedisClient, type RedisStateStoreOptions } from './redis-client.js';

/** What `esia-broker doctor` says about the state store's Redis; read-only. */
export interface RedisInspection {
  mode: 'single' | 'sentinel' | 'cluster';
  /** Primaries serving slots (a cluster) or the one primary. */
  primaries: number;
  replicas: number;
  /** host:port of each primary without a replica: nothing takes over when it dies. */
  unreplicated: string[];
  /** A cluster's cluster_state (ok, fail) as the first node asked sees it. */
  clusterState?: string;
}

/** Reads the topology (never writes) and disconnects; throws when Redis does not answer. */
export async function inspectRedis(options: RedisStateStoreOptions): Promise<RedisInspection> {
  if (options.cluster) return inspectCluster(options, options.cluster.nodes);
  const redis = await openRedisClient(options);
  try {
    const replication = await redis.info('replication');
    const replicas = Number(/^connected_slaves:(\d+)/m.exec(replication)?.[1] ?? 0);
    return { mode: options.sentinel ? 'sentinel' : 'single', primaries: 1, replicas, unreplicated: replicas === 0 ? ['the primary'] : [] };
  } finally {
    redis.disconnect();
  }
}

/**
 * A cluster as the first node named that answers sees it: asked directly, since a cluster client
 * would not get ready while slots are unserved, which is just what doctor must report.
 */
async function inspectCluster(options: RedisStateStoreOptions, startNodes: ReadonlyArray<{ host: string; port: number }>): Promise<RedisInspection> {
  const timeoutMs = options.commandTimeoutMs ?? 2000;
  let lastError: unknown = new Error('no start node');
  for (const start of startNodes) {
    const node = new Redis({ host: start.host, port: start.port, ...credentialsOf(new URL(options.url)), lazyConnect: true, connectTimeout: timeoutMs, commandTimeout: timeoutMs, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    node.on('error', () => undefined);
    try {
      await node.connect();
      const info = (await node.cluster('INFO')) as string;
      const rows = ((await node.cluster('NODES')) as string).trim().split('\n').map((line) => line.split(' '));
      // id address flags primary-id ping pong epoch link slot…: a serving primary has slots.
      const primaries = rows.filter((r) => r[2]?.includes('master') && !r[2].includes('fail') && r.length > 8);
      const replicasOf = (id: string) => rows.filter((r) => r[3] === id && !r[2]?.includes('fail')).length;
      return {
        mode: 'cluster',
        primaries: primaries.length,
        replicas: primaries.reduce((sum, r) => sum + replicasOf(r[0]!), 0),
        unreplicated: primaries.filter((r) => replicasOf(r[0]!) === 0).map((r) => r[1]!.split('@')[0]!),
        clusterState: /^cluster_state:(\w+)/m.exec(info)?.[1] ?? 'unknown',
      };
    } catch (error) {
      lastError = new Error(`${start.host}:${start.port}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    } finally {
      node.disconnect();
    }
  }
  throw lastError;
}
