import t from 'tap';
import { startBroker } from '../../helpers/broker.js';
import { KNOWN_PASSWORD, KNOWN_SNILS } from '../../fixtures/personal-data.js';

t.test('health, readiness and metrics over real HTTP', async (t) => {
  const broker = await startBroker();
  t.teardown(() => broker.close());

  const health = await fetch(`${broker.url}/healthz`);
  t.equal(health.status, 200);
  t.same(await health.json(), { status: 'ok' });

  const ready = await fetch(`${broker.url}/readyz`);
  t.equal(ready.status, 200);
  const body = (await ready.json()) as { checks: Record<string, string> };
  t.same(Object.values(body.checks), ['ok', 'ok'], 'database and state store answer');
  t.ok(ready.headers.get('x-request-id'), 'request id echoed');

  const metrics = await (await fetch(`${broker.url}/metrics`)).text();
  t.match(metrics, /esia_broker_http_requests_total\{route="\/readyz",method="GET",status="200"\} 1/);
  t.match(metrics, /esia_broker_http_request_duration_seconds_bucket\{le="0.005",route="\/healthz"/);
});

t.test('METRICS_TOKEN guards /metrics (probes stay open); without it /metrics is open', async (t) => {
  const token = 'metrics-scrape-token-0123456789';
  const broker = await startBroker({ embedded: true, env: { METRICS_TOKEN: token } });
  t.teardown(() => broker.close());
  for (const authorization of [undefined, 'Bearer wrong-token-0123456789abc', `Basic ${token}`]) {
    const refused = await fetch(`${broker.url}/metrics`, authorization ? { headers: { authorization } } : {});
    t.equal(refused.status, 401, `refused with ${authorization ?? 'no header'}`);
    t.equal(refused.headers.get('www-authenticate'), 'Bearer realm="metrics"');
    t.match(await refused.json(), { error: 'invalid_token' });
  }
  const scraped = await fetch(`${broker.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  t.equal(scraped.status, 200);
  t.match(await scraped.text(), /esia_broker_http_requests_total/);
  t.equal((await fetch(`${broker.url}/healthz`)).status, 200, 'liveness needs no token');
  t.equal((await fetch(`${broker.url}/readyz`)).status, 200, 'readiness needs no token');
});

t.test('bad input answers clearly, never 500, and personal data stays out of logs', async (t) => {
  const broker = await startBroker({ embedded: true });
  t.teardown(() => broker.close());

  const notFound = await fetch(`${broker.url}/no-such-thing?snils=${encodeURIComponent(KNOWN_SNILS)}&password=${KNOWN_PASSWORD}`);
  t.equal(notFound.status, 404);
  t.same(await notFound.json(), { error: 'not_found', error_description: 'no such endpoint' });

  const page = await fetch(`${broker.url}/no-such-page`, { headers: { accept: 'text/html' } });
  t.equal(page.status, 404);
  t.match(await page.text(), /Страница не найдена/);

  const oversized = await fetch(`${broker.url}/healthz`, { method: 'POST', body: 'x'.repeat(100_000), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  t.ok(oversized.status < 500, `oversized body refused with ${oversized.status}`);

  broker.deps.logger.info({ person: { snils: KNOWN_SNILS, password: KNOWN_PASSWORD } }, `login attempt for ${KNOWN_SNILS}`);
  const metrics = await (await fetch(`${broker.url}/metrics`)).text();
  t.match(metrics, /route="unmatched",method="GET",status="404"/, '404s counted under one label');
});
