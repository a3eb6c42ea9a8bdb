import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { noGrantCache, type GrantCache } from '../oidc/grant-cache.js';
import { createHttpSeries } from './http-series.js';
import { liveHeapBytes } from './live-heap.js';

export type { HttpLabels, HttpSeries } from './http-series.js';

/** One registry per app instance (tests run several in one process). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'esia_broker_' });
  liveHeapBytes(); // starts watching the collections
  new Gauge({
    name: 'esia_broker_heap_live_bytes',
    help: 'Heap kept: the old generation in use just after the last major GC (what survived it; 0 until the first). A leak shows as a rise here, not in the sawtooth of nodejs_heap_size_used_bytes',
    registers: [registry],
    collect() {
      this.set(liveHeapBytes() ?? 0);
    },
  });
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
  const httpSeries = createHttpSeries(registry);
  return {
    registry,
    /** The ESIA leg hands its breaker's state here; /readyz stays about our own dependencies. */
    watchEsiaCircuit(read: () => 'closed' | 'open' | 'half-open') {
      esiaCircuit = read;
    },
    watchGrantCache(cache: Pick<GrantCache, 'warm' | 'reads'>) {
      grantCache = cache;
    },
    /** The request counter and latency histogram of one (route, method, status) (http-series.ts). */
    httpSeries,
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
