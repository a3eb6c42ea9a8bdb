import { Counter, Histogram, type Registry } from 'prom-client';

export interface HttpLabels {
  route: string;
  method: string;
  status: string;
}

export interface HttpSeries {
  /** One answer of this series, its latency in seconds. */
  observe(seconds: number): void;
}

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Tally {
  labels: Readonly<HttpLabels>;
  count: number;
  sum: number;
  /** Answers per bucket (not cumulative), BUCKETS' order, the last one above them all. */
  buckets: number[];
}

/** The shape of a prom-client 15 histogram series (its hashMap's values). */
interface HistogramEntry {
  labels: object;
  sum: number;
  count: number;
  bucketValues: Record<number, number>;
}

/**
 * esia_broker_http_requests_total and esia_broker_http_request_duration_seconds, by route
 * pattern, method and status. Every request lands in one of these, so a request only adds to
 * its series' tally (a few additions, no label hashing); the counter and the histogram are
 * filled from the tallies at each scrape (collect), the counter through its public API, the
 * histogram through its series entries (prom-client has no bulk observe), which a test pins.
 */
export function createHttpSeries(registry: Registry): (labels: HttpLabels) => HttpSeries {
  const tallies: Tally[] = [];
  new Counter({
    name: 'esia_broker_http_requests_total',
    help: 'HTTP requests by route pattern, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { labels, count } of tallies) this.inc(labels, count);
    },
  });
  new Histogram({
    name: 'esia_broker_http_request_duration_seconds',
    help: 'HTTP request latency by route pattern, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: BUCKETS,
    registers: [registry],
    collect() {
      this.reset();
      for (const { labels } of tallies) this.zero(labels);
      const entries = (this as unknown as { hashMap: Record<string, HistogramEntry> }).hashMap;
      const byLabels = new Map(Object.values(entries).map((entry) => [entry.labels, entry]));
      for (const tally of tallies) {
        const entry = byLabels.get(tally.labels);
        if (!entry) throw new Error('prom-client histogram internals changed: see src/metrics/http-series.ts');
        entry.count = tally.count;
        entry.sum = tally.sum;
        BUCKETS.forEach((bound, i) => (entry.bucketValues[bound] = tally.buckets[i]!));
      }
    },
  });
  // One tally per series, however many callers ask for it (the fast path and the route hooks).
  const series = new Map<string, HttpSeries>();
  return (labels) => {
    const key = `${labels.route} ${labels.method} ${labels.status}`;
    const known = series.get(key);
    if (known) return known;
    const tally: Tally = { labels: Object.freeze({ ...labels }), count: 0, sum: 0, buckets: new Array<number>(BUCKETS.length + 1).fill(0) };
    tallies.push(tally);
    const one: HttpSeries = {
      observe(seconds) {
        tally.count += 1;
        tally.sum += seconds;
        let i = 0;
        while (i < BUCKETS.length && seconds > BUCKETS[i]!) i += 1;
        tally.buckets[i]! += 1;
      },
    };
    series.set(key, one);
    return one;
  };
}
