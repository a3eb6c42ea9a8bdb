import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

// Latencies go into native HDR histograms (microseconds, 3 significant figures), not arrays:
// sorting or sending 150,000 numbers a minute would stall the very event loop that times them.

export interface Percentiles {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

/** One histogram per kind of request, plus all of them together. */
export class KindLatencies {
  readonly all = createHistogram();
  private readonly kinds = new Map<string, RecordableHistogram>();

  record(kind: string, ms: number): void {
    const us = Math.max(1, Math.round(ms * 1000));
    this.all.record(us);
    let histogram = this.kinds.get(kind);
    if (!histogram) this.kinds.set(kind, (histogram = createHistogram()));
    histogram.record(us);
  }

  summary(): { all: Percentiles; kinds: Record<string, Percentiles> } {
    return { all: percentiles(this.all), kinds: Object.fromEntries([...this.kinds].map(([kind, h]) => [kind, percentiles(h)])) };
  }
}

const ms = (us: number) => Math.round(us / 100) / 10;

/** p50, p99 and max in ms from a histogram of microseconds (or nanoseconds, with `unit` 1e6). */
export function percentiles(histogram: { count: number; percentile(p: number): number; max: number }, unit = 1000): Percentiles {
  if (histogram.count === 0) return { n: 0, p50: 0, p99: 0, max: 0 };
  const scale = (v: number) => ms((v / unit) * 1000);
  return { n: histogram.count, p50: scale(histogram.percentile(50)), p99: scale(histogram.percentile(99)), max: scale(histogram.max) };
}
