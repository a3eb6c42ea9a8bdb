import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A throwaway redis-server of our own, so a test can kill it without touching the shared one. */
export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * No snapshots, and a directory of its own: a replica writes the RDB it receives from its primary
 * (dump.rdb) whatever --save says, and must not write it into the working directory.
 */
export async function startPrivateRedis(port: number, ...extraArgs: string[]): Promise<ChildProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'esia-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extraArgs], { stdio: 'ignore' });
  for (let i = 0; i < 50; i++) {
    if (spawnSync('redis-cli', ['-p', String(port), 'ping']).stdout?.toString().includes('PONG')) return child;
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not start on ${port}`);
}

export async function stopPrivateRedis(child: ChildProcess): Promise<void> {
  // A process killed by a signal has exitCode null and signalCode set: both mean it is gone.
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
