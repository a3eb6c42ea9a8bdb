import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export interface Child<T> {
  info: T;
  child: ChildProcess;
  close(): Promise<void>;
}

/** Runs a bench/compare script (through tsx) as its own process; its first stdout line is JSON. */
export async function startChild<T>(script: string, args: string[] = []): Promise<Child<T>> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, script), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const info = await new Promise<T>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const end = out.indexOf('\n');
      if (end >= 0) resolve(JSON.parse(out.slice(0, end)) as T);
    });
    child.once('exit', () => reject(new Error(`${script} exited before it was ready:\n${errors}`)));
  });
  return {
    info,
    child,
    async close() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
