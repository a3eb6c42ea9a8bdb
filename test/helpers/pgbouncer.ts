import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon } from './daemon.js';
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
  const daemon = await startDaemon('pgbouncer', bin, [...(asRoot ? ['-u', 'nobody'] : []), config], port, 'SIGINT');
  return { port, ...daemon };
}
