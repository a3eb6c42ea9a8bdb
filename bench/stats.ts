/** Latency summary for benchmark samples (milliseconds). */
export function summarize(samples: number[]): { n: number; p50: number; p95: number; p99: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { n: sorted.length, p50: round(at(0.5)), p95: round(at(0.95)), p99: round(at(0.99)), max: round(sorted.at(-1) ?? 0) };
}

export const round = (value: number) => Math.round(value * 10) / 10;

/** Runs `task` `total` times with at most `concurrency` in flight; returns each duration and the wall time. */
export async function runConcurrent(total: number, concurrency: number, task: (i: number) => Promise<void>): Promise<{ durations: number[]; wallMs: number }> {
  const durations: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        await task(i);
        durations.push(performance.now() - t0);
      }
    }),
  );
  return { durations, wallMs: performance.now() - started };
}

export function backends(): string {
  return `${process.env['DATABASE_URL'] ? 'PostgreSQL' : 'PGlite'} + ${process.env['REDIS_URL'] ? 'Redis' : 'in-process state'}`;
}
