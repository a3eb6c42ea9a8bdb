import t from 'tap';
import { Counter, Histogram, Registry } from 'prom-client';
import { createHttpSeries } from '../../../src/metrics/http-series.js';

// The request metrics are tallied per series and handed to prom-client at each scrape: the
// exposition must be exactly what prom-client's own inc/observe would have produced, bucket
// edges, sums, counts, label order and all, scrape after scrape.
function reference() {
  const registry = new Registry();
  const counter = new Counter({ name: 'esia_broker_http_requests_total', help: 'HTTP requests by route pattern, method and status', labelNames: ['route', 'method', 'status'], registers: [registry] });
  const histogram = new Histogram({
    name: 'esia_broker_http_request_duration_seconds',
    help: 'HTTP request latency by route pattern, method and status',
    labelNames: ['route', 'method', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return {
    registry,
    observe(labels: { route: string; method: string; status: string }, seconds: number) {
      counter.inc(labels);
      histogram.observe(labels, seconds);
    },
  };
}

t.test('the same text as prom-client fed one observation at a time', async (t) => {
  const registry = new Registry();
  const series = createHttpSeries(registry);
  const expected = reference();
  const jwks = { route: '/jwks', method: 'GET', status: '200' };
  const refused = { route: '/userinfo', method: 'POST', status: '401' };
  const unmatched = { route: 'unmatched', method: 'HEAD', status: '404' };
  // A series is made at its first answer, as the route hooks do (so the order is prom-client's).
  const ours = new Map<object, ReturnType<typeof series>>();
  // Bucket edges exactly, between them, above the last, and zero.
  const values = [0, 0.0001, 0.005, 0.0050001, 0.01, 0.02, 0.025, 0.1, 0.49, 0.5, 1, 2.5, 3, 5, 10, 10.5, 60];
  const feed = (labels: typeof jwks, seconds: number) => {
    if (!ours.has(labels)) ours.set(labels, series(labels));
    ours.get(labels)!.observe(seconds);
    expected.observe(labels, seconds);
  };
  values.forEach((v, i) => feed(i % 2 ? jwks : refused, v));
  feed(unmatched, 0.003);
  t.equal(await registry.metrics(), await expected.registry.metrics());

  values.forEach((v) => feed(jwks, v * 2));
  t.equal(await registry.metrics(), await expected.registry.metrics(), 'and again after more answers');
  t.match(await registry.metrics(), /esia_broker_http_request_duration_seconds_bucket\{le="0.005",route="\/jwks",method="GET",status="200"\} \d+/);
});
