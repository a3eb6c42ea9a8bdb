import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon } from './daemon.js';
import { scratchDir } from './emulator.js';

/** Debian puts haproxy in /usr/sbin, which a non-root PATH may lack. */
export function haproxyBin(): string | undefined {
  return ['haproxy', '/usr/sbin/haproxy'].find((bin) => spawnSync(bin, ['-v']).status === 0);
}

export interface RunningHaproxy {
  url: string;
  output(): string;
  close(): Promise<void>;
}

/**
 * HAProxy in front of the given servers: round-robin, no stickiness, every answer naming the
 * server that gave it (X-Served-By). Health checks on /healthz every 300 ms take a dead server
 * out; a connection refused before that is retried on another server (`option redispatch`),
 * while a request a server accepted and then lost is never replayed (HAProxy's default).
 */
export async function startHaproxy(bin: string, port: number, servers: Array<{ name: string; port: number }>): Promise<RunningHaproxy> {
  const dir = scratchDir('haproxy-');
  const config = join(dir, 'haproxy.cfg');
  writeFileSync(
    config,
    [
      'global',
      '  maxconn 512',
      'defaults',
      '  mode http',
      '  timeout connect 2s',
      '  timeout client 60s',
      '  timeout server 60s',
      '  retries 2',
      '  option redispatch',
      'frontend broker',
      `  bind 127.0.0.1:${port}`,
      '  default_backend replicas',
      'backend replicas',
      '  balance roundrobin',
      '  option httpchk GET /healthz',
      '  http-response set-header X-Served-By %[srv_name]',
      ...servers.map((s) => `  server ${s.name} 127.0.0.1:${s.port} check inter 300 fall 1 rise 2`),
      '',
    ].join('\n'),
  );
  const daemon = await startDaemon('haproxy', bin, ['-f', config, '-db'], port, 'SIGTERM');
  return { url: `http://127.0.0.1:${port}`, ...daemon };
}
