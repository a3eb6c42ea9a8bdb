import type { CoreEnv } from './core.js';

export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

/** Where the state store's Redis is: one server (REDIS_URL), or found through Sentinel or a Cluster. */
export interface RedisTopology {
  /** REDIS_SENTINELS and REDIS_SENTINEL_NAME: where to ask for the primary, if Sentinel runs. */
  readonly sentinel: { readonly sentinels: readonly RedisNode[]; readonly name: string } | undefined;
  /** REDIS_CLUSTER_NODES: seed nodes of a Redis Cluster, if the state lives in one. */
  readonly cluster: { readonly nodes: readonly RedisNode[] } | undefined;
}

const nodeList = (value: string): RedisNode[] =>
  value.split(',').map((entry) => {
    const [host = '', port = ''] = entry.trim().split(':');
    return { host, port: Number(port) };
  });

/** Sentinel or Cluster from the parsed settings; names every contradiction in `problems`. */
export function resolveRedisTopology(e: CoreEnv, problems: string[]): RedisTopology {
  if (e.REDIS_CLUSTER_NODES) {
    if (e.REDIS_SENTINELS) problems.push('REDIS_CLUSTER_NODES: set either REDIS_CLUSTER_NODES or REDIS_SENTINELS, not both');
    if (!e.REDIS_URL) problems.push('REDIS_CLUSTER_NODES: needs REDIS_URL too (its user, password and TLS; its host is not used), e.g. redis://:password@cluster');
    else if (!['', '/', '/0'].includes(new URL(e.REDIS_URL).pathname)) problems.push('REDIS_URL: a Redis Cluster has database 0 only; remove the database number');
    // The keys' own {hash tags} keep multi-key operations in one slot; a brace in the prefix
    // would take their place (every key in one slot, or tags split apart).
    if (/[{}]/.test(e.REDIS_KEY_PREFIX)) problems.push('REDIS_KEY_PREFIX: must not contain { or } with REDIS_CLUSTER_NODES (the keys carry their own hash tags)');
  }
  return {
    sentinel: e.REDIS_SENTINELS ? { sentinels: nodeList(e.REDIS_SENTINELS), name: e.REDIS_SENTINEL_NAME } : undefined,
    cluster: e.REDIS_CLUSTER_NODES ? { nodes: nodeList(e.REDIS_CLUSTER_NODES) } : undefined,
  };
}
