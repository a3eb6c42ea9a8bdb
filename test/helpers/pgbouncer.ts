import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { scratchDir } from './emulator.js';

/** Debian puts pgbouncer in /usr/sbin, which a non-root PATH may lack. */
export function pgbouncerBin(): string | undefined {
  return ['pgbouncer', '/usr/sbin/pgbouncer'].find((bin) => spawnSync(bin, ['--version']).status === 0);
}

export interface RunningPgbouncer {
  port: number;
  output(): string;
  close(): Promise<void>;
}

/**
 * PgBouncer in transaction mode in front of the Postgres at target (trust auth, every database),
 * with a deliberately small server pool so one client's statements spread over few shared
 * server connections, as in production. It refuses to run as root: as root it drops to nobody.
 */
export async function startPgbouncer(bin: string, port: number, target: { host: string; port: number; user: string }, poolSize = 2): Promise<RunningPgbouncer> {
  const dir = scratchDir('pgbouncer-');
  chmodSync(dir, 0o755);
  const users = join(dir, 'users.txt');
  writeFileSync(users, `"${target.user}" ""\n`, { mode: 0o644 });
  const config = join(dir, 'pgbouncer.ini');
  writeFileSync(
    config,
    [
      '[databases]',
      `* = host=${target.host} port=${target.port}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${users}`,
      'pool_mode = transaction',
      `default_pool_size = ${poolSize}`,
      'max_client_conn = 200',
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  const asRoot = process.getuid?.() === 0;
  const child = spawn(bin, [...(asRoot ? ['-u', 'nobody'] : []), config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; ; i += 1) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited:\n${out}`);
    if (await accepts(port)) break;
    if (i > 100) {
      child.kill('SIGKILL');
      throw new Error(`pgbouncer did not listen on ${port}:\n${out}`);
    }
    await sleep(100);
  }
  return {
    port,
    output: () => out,
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGINT');
        await exited;
      }
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
