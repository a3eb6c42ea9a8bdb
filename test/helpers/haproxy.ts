import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
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
  const child = spawn(bin, ['-f', config, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; ; i += 1) {
    if (child.exitCode !== null) throw new Error(`haproxy exited:\n${out}`);
    if (await accepts(port)) break;
    if (i > 100) {
      child.kill('SIGKILL');
      throw new Error(`haproxy did not listen on ${port}:\n${out}`);
    }
    await sleep(100);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    output: () => out,
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
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
