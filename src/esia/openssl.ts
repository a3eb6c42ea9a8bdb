import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomToken } from '../crypto/random.js';

/**
 * GOST through the openssl CLI with Debian's gost engine (docs/esia.md, "Signers"): Node's own crypto has
 * no GOST. Every call is a child process, so signing never blocks the event loop; a small
 * concurrency cap keeps a login burst from forking hundreds of processes at once.
 */
export interface OpensslOptions {
  /** The openssl binary (default `openssl` from PATH). */
  bin: string;
  /** An OPENSSL_CONF that loads the gost engine; generated from enginePath when absent. */
  confFile?: string | undefined;
  /** The gost engine shared object. */
  enginePath: string;
  /** Per-call limit; a hung openssl is killed. */
  timeoutMs?: number;
  maxConcurrent?: number;
}

export class OpensslError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'OpensslError';
  }
}

export interface Openssl {
  /**
   * Runs openssl with args; stdin from input; resolves stdout. Rejects with OpensslError, also
   * when `signal` aborts while waiting for a slot or while openssl runs (the process is killed).
   */
  run(args: readonly string[], options?: { input?: Buffer; env?: Record<string, string>; signal?: AbortSignal | undefined; timeoutMs?: number }): Promise<Buffer>;
  /** A private scratch directory (mode 0700) for files openssl insists on (signatures to verify). */
  withTempFiles<K extends string, T>(files: Record<K, Buffer | string>, use: (paths: Record<K, string>) => Promise<T>): Promise<T>;
  readonly confFile: string;
}

export const DEFAULT_GOST_ENGINE = '/usr/lib/x86_64-linux-gnu/engines-3/gost.so';

export function gostConf(enginePath: string): string {
  return `openssl_conf = openssl_def
[openssl_def]
engines = engine_section
[engine_section]
gost = gost_section
[gost_section]
engine_id = gost
dynamic_path = ${enginePath}
default_algorithms = ALL
`;
}

let scratchRoot: string | undefined;
function scratch(): string {
  if (!scratchRoot) {
    scratchRoot = mkdtempSync(join(tmpdir(), 'esia-openssl-'));
    const root = scratchRoot;
    process.once('exit', () => rmSync(root, { recursive: true, force: true }));
  }
  return scratchRoot;
}

export function createOpenssl(options: OpensslOptions): Openssl {
  const confFile = options.confFile ?? writeConf(options.enginePath);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const limit = options.maxConcurrent ?? 8;
  let running = 0;
  const waiting: Array<() => void> = [];

  async function slot<T>(work: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    // A finishing call hands its slot straight to the next waiter, so the cap is never exceeded.
    if (signal?.aborted) throw deadlinePassed();
    if (running >= limit) await waitForSlot(signal);
    else running += 1;
    try {
      return await work();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running -= 1;
    }
  }

  /** Queues for a slot; a caller whose deadline passes leaves the queue instead of waiting on. */
  function waitForSlot(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const at = waiting.indexOf(handOff);
        if (at >= 0) waiting.splice(at, 1);
        reject(deadlinePassed());
      };
      const handOff = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      waiting.push(handOff);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  return {
    confFile,
    run: (args, runOptions = {}) =>
      slot(() => runProcess(options.bin, args, { input: runOptions.input, env: { OPENSSL_CONF: confFile, ...runOptions.env }, timeoutMs: runOptions.timeoutMs ?? timeoutMs, signal: runOptions.signal }), runOptions.signal),
    withTempFiles,
  };
}

/** Files in a private scratch directory (mode 0700), removed after use. */
export async function withTempFiles<K extends string, T>(files: Record<K, Buffer | string>, use: (paths: Record<K, string>) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(scratch(), 'op-'));
  try {
    const paths = {} as Record<K, string>;
    for (const name of Object.keys(files) as K[]) {
      paths[name] = join(dir, name);
      writeFileSync(paths[name], files[name], { mode: 0o600 });
    }
    return await use(paths);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs a binary with a minimal environment; resolves stdout, rejects with stderr's first line.
 * The process is killed after timeoutMs, or as soon as `signal` aborts (the caller's deadline).
 */
export function runProcess(
  bin: string,
  args: readonly string[],
  options: { input?: Buffer | undefined; env?: Record<string, string>; timeoutMs: number; signal?: AbortSignal | undefined },
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(deadlinePassed());
    const child = spawn(bin, args, {
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs,
      killSignal: 'SIGKILL', // a hung signer gets no chance to linger
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => reject(error.name === 'AbortError' ? deadlinePassed() : new OpensslError(`cannot run ${bin}: ${error.message}`, '')));
    child.on('close', (code, signal) => {
      const stderr = Buffer.concat(err).toString('utf8').trim();
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new OpensslError(`${bin} ${args[0] ?? ''} failed (${signal ?? `exit ${code}`}): ${firstLine(stderr)}`, stderr));
    });
    child.stdin.on('error', () => undefined); // the tool may exit before reading all input
    child.stdin.end(options.input ?? Buffer.alloc(0));
  });
}

function writeConf(enginePath: string): string {
  const file = join(scratch(), `openssl-gost-${randomToken(6)}.cnf`);
  writeFileSync(file, gostConf(enginePath), { mode: 0o600 });
  return file;
}

function deadlinePassed(): OpensslError {
  return new OpensslError('gave up: the caller\'s deadline passed', '');
}

function firstLine(text: string): string {
  return (text.split('\n').find((line) => line.trim() !== '') ?? 'no diagnostics').slice(0, 300);
}
