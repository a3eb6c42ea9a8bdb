import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RunningDaemon {
  output(): string;
  close(): Promise<void>;
}

/**
 * A peer program run in the foreground for a test (HAProxy, PgBouncer): started, waited for
 * until it accepts on `port` (about 10 s at most; its output in the error otherwise), and
 * stopped with `stopSignal` by close().
 */
export async function startDaemon(name: string, bin: string, args: string[], port: number, stopSignal: NodeJS.Signals): Promise<RunningDaemon> {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; ; i += 1) {
    if (child.exitCode !== null) throw new Error(`${name} exited:\n${out}`);
    if (await accepts(port)) break;
    if (i > 100) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not listen on ${port}:\n${out}`);
    }
    await sleep(100);
  }
  return {
    output: () => out,
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(stopSignal);
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

/** Polls `condition` every 100 ms until it holds; throws naming `what` after `ms`. */
export async function until(what: string, condition: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(100);
  }
}
