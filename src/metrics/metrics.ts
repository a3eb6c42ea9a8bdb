import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { noGrantCache, type GrantCache } from '../oidc/grant-cache.js';

export interface HttpLabels {
  route: string;
  method: string;
  status: string;
}

export interface HttpSeries {
  /** One answer of this series, its latency in seconds. */
  observe(seconds: number): void;
}

/** One registry per app instance (tests run several in one process). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'esia_broker_' });
  let esiaCircuit: () => 'closed' | 'open' | 'half-open' = () => 'closed';
  let grantCache: Pick<GrantCache, 'warm' | 'reads'> = noGrantCache;
  new Gauge({
    name: 'esia_broker_grant_cache_warm',
    help: 'The grant cache: 1 answering from memory (its change feed is current), 0 reading the stores on every call',
    registers: [registry],
    collect() {
      this.set(grantCache.warm() ? 1 : 0);
    },
  });
  new Counter({
    name: 'esia_broker_grant_cache_reads_total',
    help: 'Reads through the grant cache: hit (memory), miss (loaded, kept), cold (loaded, the cache being cold)',
    labelNames: ['outcome'] as const,
    registers: [registry],
    collect() {
      // Counted in the cache (no metric call on the hot path), copied here at each scrape.
      this.reset();
      for (const [outcome, count] of Object.entries(grantCache.reads)) this.inc({ outcome }, count);
    },
  });
  new Gauge({
    name: 'esia_broker_esia_circuit_open',
    help: "ESIA's circuit breaker: 1 open (logins refused at once), 0.5 half-open (one trial call), 0 closed",
    registers: [registry],
    collect() {
      const state = esiaCircuit();
      this.set(state === 'open' ? 1 : state === 'half-open' ? 0.5 : 0);
    },
  });
  const httpSeries: { labels: Readonly<HttpLabels>; count: number }[] = [];
  new Counter({
    name: 'esia_broker_http_requests_total',
    help: 'HTTP requests by route pattern, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { labels, count } of httpSeries) this.inc(labels, count);
    },
  });
  const httpDuration = new Histogram({
    name: 'esia_broker_http_request_duration_seconds',
    help: 'HTTP request latency by route pattern, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return {
    registry,
    /** The ESIA leg hands its breaker's state here; /readyz stays about our own dependencies. */
    watchEsiaCircuit(read: () => 'closed' | 'open' | 'half-open') {
      esiaCircuit = read;
    },
    watchGrantCache(cache: Pick<GrantCache, 'warm' | 'reads'>) {
      grantCache = cache;
    },
    /**
     * The request counter and latency histogram of one (route, method, status): the labels are
     * fixed once per series, and the count is kept here and copied into the counter at each
     * scrape, so a request costs no label object and one label hashing (the histogram's)
     * instead of two.
     */
    httpSeries(labels: HttpLabels): HttpSeries {
      const series = { labels: Object.freeze({ ...labels }), count: 0 };
      httpSeries.push(series);
      return {
        observe(seconds) {
          series.count += 1;
          httpDuration.observe(series.labels, seconds);
        },
      };
    },
    loginOutcomes: new Counter({
      name: 'esia_broker_login_outcomes_total',
      help: 'Finished ESIA logins by outcome (success or a reason code) and region',
      labelNames: ['outcome', 'region'] as const,
      registers: [registry],
    }),
    backchannelLogouts: new Counter({
      name: 'esia_broker_backchannel_logouts_total',
      help: 'Back-channel logout token deliveries by outcome: delivered, retry, gave_up, dropped (client no longer registers a URI)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    esiaRequests: new Histogram({
      name: 'esia_broker_esia_request_duration_seconds',
      help: 'Calls to ESIA by operation and result',
      labelNames: ['operation', 'result'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
