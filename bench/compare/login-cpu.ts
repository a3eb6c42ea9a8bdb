import { readFileSync } from 'node:fs';

/** CPU seconds a process has used, its own and its reaped children's (Linux /proc; 1/100 s ticks). */
export function processCpu(pid: number): { own: number; children: number } {
  // Fields after the command name (which may hold spaces, so split after its closing parenthesis).
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const tick = (i: number) => Number(fields[i - 3]) / 100;
  return { own: tick(14) + tick(15), children: tick(16) + tick(17) };
}

export interface LoginCpu {
  logins: number;
  /** The broker process's own CPU per whole login, in ms: authorize, callback (ESIA calls, matching) and the code exchange. */
  ownMs: number;
  /** CPU of processes the broker spawned (openssl with ESIA_SIGNER=openssl), per login, in ms. */
  childrenMs: number;
  loginsPerSecond: number;
}

/**
 * Runs `count` whole logins one after another (the ESIA emulator and the diary side live in this
 * process, so their work is not counted) and divides the broker's CPU by them.
 */
export async function measureLoginCpu(pid: number, login: () => Promise<void>, count: number): Promise<LoginCpu> {
  for (let i = 0; i < Math.min(20, count); i++) await login(); // warm-up: JIT, pools, caches
  const before = processCpu(pid);
  const started = performance.now();
  for (let i = 0; i < count; i++) await login();
  const seconds = (performance.now() - started) / 1000;
  const after = processCpu(pid);
  const per = (a: number, b: number) => Math.round(((a - b) * 1000 * 10) / count) / 10;
  return { logins: count, ownMs: per(after.own, before.own), childrenMs: per(after.children, before.children), loginsPerSecond: Math.round((count / seconds) * 10) / 10 };
}
