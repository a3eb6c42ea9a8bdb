import { spawnSync, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, startPrivateRedis, stopPrivateRedis } from './private-redis.js';

/**
 * A Redis Cluster of our own on free ports (Debian's redis-server in cluster mode, joined by
 * `redis-cli --cluster create`): `primaries` primaries with one replica each, so a primary can
 * die and its replica take over. close() kills every node, also after a half-made start.
 */
export interface PrivateCluster {
  /** host:port of every node, comma-separated: REDIS_CLUSTER_NODES. */
  readonly nodeList: string;
  readonly ports: readonly number[];
  /** redis-cli against one node. */
  cli(port: number, ...args: string[]): string;
  /** Port → role and, for a replica, the port of its primary (CLUSTER NODES as one node sees it). */
  roles(seenFrom?: number): Map<number, { role: 'master' | 'slave'; primaryPort?: number; failed: boolean }>;
  /** SIGKILL one node: a primary dying without a word. */
  kill(port: number): Promise<void>;
  close(): Promise<void>;
}

export const hasRedisCli = (): boolean => spawnSync('redis-cli', ['--version']).status === 0;

export async function startPrivateCluster(options: { primaries?: number; nodeTimeoutMs?: number } = {}): Promise<PrivateCluster> {
  const primaries = options.primaries ?? 3;
  const children = new Map<number, ChildProcess>();
  const cli = (port: number, ...args: string[]) => spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8', timeout: 10_000 }).stdout ?? '';
  // A test process that exits without its teardown (an uncaught error) still takes the nodes along.
  const killAll = () => {
    for (const child of children.values()) child.kill('SIGKILL');
  };
  process.once('exit', killAll);
  const close = async () => {
    process.off('exit', killAll);
    await Promise.all([...children.values()].map((child) => stopPrivateRedis(child)));
  };
  try {
    const ports: number[] = [];
    for (let i = 0; i < primaries * 2; i++) {
      const port = await freePort();
      // cluster-node-timeout: how long a silent primary takes to be declared failed (Redis'
      // default is 15 s; short here so the failover test is quick).
      children.set(port, await startPrivateRedis(port, '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 1000)));
      ports.push(port);
    }
    const created = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes'], { encoding: 'utf8', timeout: 60_000 });
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed:\n${created.stdout}\n${created.stderr}`);
    const roles = (seenFrom = ports[0]!) => {
      const byId = new Map<string, number>();
      const rows = cli(seenFrom, 'cluster', 'nodes').trim().split('\n').filter(Boolean).map((line) => line.split(' '));
      for (const [id, address] of rows) byId.set(id!, Number(/:(\d+)@/.exec(address!)?.[1]));
      const result = new Map<number, { role: 'master' | 'slave'; primaryPort?: number; failed: boolean }>();
      for (const [id, , flags = '', primaryId] of rows) {
        const role = flags.includes('master') ? 'master' : 'slave';
        result.set(byId.get(id!)!, { role, failed: /fail/.test(flags), ...(role === 'slave' && primaryId !== '-' ? { primaryPort: byId.get(primaryId!)! } : {}) });
      }
      return result;
    };
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ok = ports.every((p) => /cluster_state:ok/.test(cli(p, 'cluster', 'info')) && new RegExp(`cluster_known_nodes:${ports.length}\\b`).test(cli(p, 'cluster', 'info')));
      const replicas = [...roles()].filter(([, r]) => r.role === 'slave');
      const synced = replicas.length === primaries && replicas.every(([port]) => cli(port, 'info', 'replication').includes('master_link_status:up'));
      if (ok && synced) break;
      if (Date.now() > deadline) throw new Error(`the cluster did not settle:\n${cli(ports[0]!, 'cluster', 'nodes')}`);
      await sleep(200);
    }
    return {
      nodeList: ports.map((p) => `127.0.0.1:${p}`).join(','),
      ports,
      cli,
      roles,
      async kill(port) {
        const child = children.get(port);
        if (child) await stopPrivateRedis(child);
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
