import { readdirSync, readFileSync } from 'node:fs';

/** A /proc stat line's fields after the command name (which may hold spaces), as 1/100 s ticks in seconds. */
function statFields(path: string): { comm: string; tick: (field: number) => number } {
  const text = readFileSync(path, 'utf8');
  const fields = text.slice(text.lastIndexOf(') ') + 2).split(' ');
  return { comm: text.slice(text.indexOf('(') + 1, text.lastIndexOf(') ')), tick: (i: number) => Number(fields[i - 3]) / 100 };
}

/** CPU seconds a process has used, its own (in user space and in the kernel) and its reaped children's (Linux /proc). */
export function processCpu(pid: number): { own: number; user: number; system: number; children: number } {
  const { tick } = statFields(`/proc/${pid}/stat`);
  return { own: tick(14) + tick(15), user: tick(14), system: tick(15), children: tick(16) + tick(17) };
}

/** CPU seconds by thread name (the main thread is named after the process; libuv's pool, V8's workers and GC helpers apart). */
function threadCpu(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      const { comm, tick } = statFields(`/proc/${pid}/task/${task}/stat`);
      const name = task === String(pid) ? 'main' : comm.replace(/\d+$/, '').trim();
      byName.set(name, (byName.get(name) ?? 0) + tick(14) + tick(15));
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return byName;
}

export interface LoginCpu {
  logins: number;
  /** Logins run before measuring: V8 keeps optimising the once-per-login code for thousands of them. */
  warmUp: number;
  /** Logins in flight at once (1: one after another, each waiting on the broker's every step). */
  concurrency: number;
  /** The broker process's own CPU per whole login, in ms: authorize, callback (ESIA calls, matching) and the code exchange. */
  ownMs: number;
  /** ownMs split: in user space (JS, V8, libuv, OpenSSL) and in the kernel (syscalls, sockets, scheduling). */
  userMs: number;
  systemMs: number;
  /** ownMs by thread: the main (JS) thread, and the others (GC helpers, the compiler, libuv's pool). */
  threadsMs: Record<string, number>;
  /** The broker's CPU while idle, per second (timers, the grant cache's change-feed beat): in ownMs in proportion to the run's length. */
  idleMsPerSecond: number;
  /** CPU of processes the broker spawned (openssl with ESIA_SIGNER=openssl), per login, in ms. */
  childrenMs: number;
  loginsPerSecond: number;
}

/** `count` logins, `concurrency` of them in flight at any moment. */
async function loginsAtOnce(login: () => Promise<void>, count: number, concurrency: number): Promise<void> {
  let begun = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (begun < count) {
        begun++;
        await login();
      }
    }),
  );
}

/**
 * Runs `count` whole logins, `concurrency` at a time (the ESIA emulator and the diary side live in
 * this process, so their work is not counted) and divides the broker's CPU by them.
 */
export async function measureLoginCpu(pid: number, login: () => Promise<void>, count: number, warmUp = Math.min(20, count), concurrency = 1): Promise<LoginCpu> {
  await loginsAtOnce(login, warmUp, concurrency); // warm-up: JIT, pools, caches
  const idleBefore = processCpu(pid);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const idleMsPerSecond = Math.round(((processCpu(pid).own - idleBefore.own) * 1000) / 2);
  process.stderr.write(`login CPU: measuring ${count} logins\n`); // a profiler attached now sees only them
  const before = processCpu(pid);
  const threadsBefore = threadCpu(pid);
  const started = performance.now();
  await loginsAtOnce(login, count, concurrency);
  const seconds = (performance.now() - started) / 1000;
  const after = processCpu(pid);
  const per = (a: number, b: number) => Math.round(((a - b) * 1000 * 10) / count) / 10;
  const threadsMs = Object.fromEntries([...threadCpu(pid)].map(([name, s]) => [name, per(s, threadsBefore.get(name) ?? 0)]).filter(([, ms]) => Number(ms) > 0));
  return {
    logins: count,
    warmUp,
    concurrency,
    ownMs: per(after.own, before.own),
    userMs: per(after.user, before.user),
    systemMs: per(after.system, before.system),
    threadsMs,
    idleMsPerSecond,
    childrenMs: per(after.children, before.children),
    loginsPerSecond: Math.round((count / seconds) * 10) / 10,
  };
}
