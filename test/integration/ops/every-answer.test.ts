import { readFileSync } from 'node:fs';
import t from 'tap';
import { startBroker } from '../../helpers/broker.js';
import { captureLogFile, createTestLogger } from '../../helpers/log-capture.js';

// What every answer carries, whichever route, method or outcome produced it: the request id,
// nosniff and no-referrer; the page headers (CSP, X-Frame-Options) on HTML and only there;
// CORS on exactly the endpoints that have it; and one count in the request metrics under the
// route pattern, method and status. Pinned here so a cheaper way of producing them cannot
// drop one on some path.
const logFile = captureLogFile();
const broker = await startBroker({
  overrides: () => ({ logger: createTestLogger(logFile) }),
  routes: (app) => {
    app.get('/__test/bug', async () => {
      throw new Error('a bug');
    });
  },
});
t.teardown(() => broker.close());

const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'";
const ORIGIN = 'https://anyone.example';

type Answer = { name: string; response: Response; html: boolean };

async function answers(): Promise<Answer[]> {
  const discovery = await fetch(`${broker.url}/.well-known/openid-configuration`);
  const jwks = await fetch(`${broker.url}/jwks`);
  const get = (path: string, init: RequestInit = {}) => fetch(`${broker.url}${path}`, { redirect: 'manual', ...init });
  const list: Array<[string, Promise<Response>, boolean]> = [
    ['discovery', get('/.well-known/openid-configuration', { headers: { origin: ORIGIN } }), false],
    ['discovery 304', get('/.well-known/openid-configuration', { headers: { 'if-none-match': discovery.headers.get('etag')! } }), false],
    ['discovery HEAD', get('/.well-known/openid-configuration', { method: 'HEAD', headers: { origin: ORIGIN } }), false],
    ['JWKS', get('/jwks', { headers: { origin: ORIGIN } }), false],
    ['JWKS 304', get('/jwks', { headers: { 'if-none-match': jwks.headers.get('etag')! } }), false],
    ['JWKS HEAD', get('/jwks', { method: 'HEAD' }), false],
    ['JWKS preflight', get('/jwks', { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'GET' } }), false],
    ['userinfo 401', get('/userinfo', { headers: { authorization: 'Bearer nope' } }), false],
    ['introspect 401', get('/introspect', { method: 'POST', body: new URLSearchParams({ token: 'x' }) }), false],
    ['healthz', get('/healthz'), false],
    ['404 JSON', get('/no-such-thing'), false],
    ['404 page', get('/no-such-page', { headers: { accept: 'text/html' } }), true],
    ['authorize error page', get('/authorize?client_id=nobody'), true],
    ['500', get('/__test/bug'), false],
  ];
  return Promise.all(list.map(async ([name, response, html]) => ({ name, response: await response, html })));
}

t.test('every answer: request id, nosniff, no-referrer; CSP and X-Frame-Options on pages only', async (t) => {
  for (const { name, response, html } of await answers()) {
    await response.arrayBuffer();
    t.match(response.headers.get('x-request-id'), /^[\w.-]{1,64}$/, `${name}: x-request-id`);
    t.equal(response.headers.get('x-content-type-options'), 'nosniff', `${name}: nosniff`);
    t.equal(response.headers.get('referrer-policy'), 'no-referrer', `${name}: referrer-policy`);
    if (html) {
      t.match(response.headers.get('content-type'), /^text\/html/, `${name} is a page`);
      t.equal(response.headers.get('content-security-policy'), PAGE_CSP, `${name}: CSP`);
      t.equal(response.headers.get('x-frame-options'), 'DENY', `${name}: never framed`);
    } else {
      t.equal(response.headers.get('content-security-policy'), null, `${name}: no page CSP`);
      t.equal(response.headers.get('x-frame-options'), null, `${name}: no X-Frame-Options`);
    }
  }
});

t.test('the public documents keep their cache headers, ETag and CORS on 200, 304 and HEAD', async (t) => {
  const byName = new Map((await answers()).map((a) => [a.name, a.response]));
  for (const name of ['discovery', 'discovery 304', 'discovery HEAD', 'JWKS', 'JWKS 304', 'JWKS HEAD']) {
    const response = byName.get(name)!;
    t.match(response.headers.get('cache-control'), /^public, max-age=\d+$/, `${name}: cache-control`);
    t.match(response.headers.get('etag'), /^"[\w-]+"$/, `${name}: etag`);
    t.match(response.headers.get('vary'), /Origin/, `${name}: vary`);
  }
  t.equal(byName.get('discovery 304')!.status, 304);
  t.equal(byName.get('JWKS 304')!.status, 304);
  t.equal(byName.get('discovery HEAD')!.headers.get('access-control-allow-origin'), '*', 'HEAD carries CORS too');
  t.equal(byName.get('JWKS')!.headers.get('access-control-allow-origin'), '*');
  t.equal(byName.get('JWKS HEAD')!.headers.get('access-control-allow-origin'), null, 'no Origin, no CORS answer');
  t.equal(byName.get('JWKS preflight')!.status, 204);
  t.equal(byName.get('JWKS preflight')!.headers.get('access-control-allow-origin'), '*');
  t.equal(byName.get('healthz')!.headers.get('vary'), null, 'no CORS machinery outside its endpoints');
});

t.test('request ids: a sane caller id is kept, anything else replaced; each is unique and in the log', async (t) => {
  const kept = await fetch(`${broker.url}/healthz`, { headers: { 'x-request-id': 'lb-edge.42_a' } });
  t.equal(kept.headers.get('x-request-id'), 'lb-edge.42_a', 'a load balancer id is kept');
  for (const bad of ['has space', 'x'.repeat(65), 'semi;colon']) {
    const replaced = await fetch(`${broker.url}/healthz`, { headers: { 'x-request-id': bad } });
    t.not(replaced.headers.get('x-request-id'), bad, `${JSON.stringify(bad.slice(0, 10))} replaced`);
    t.match(replaced.headers.get('x-request-id'), /^[\w.-]{1,64}$/);
  }
  const ids = await Promise.all(Array.from({ length: 50 }, async () => (await fetch(`${broker.url}/healthz`)).headers.get('x-request-id')!));
  t.equal(new Set(ids).size, 50, 'fresh ids never repeat');
  t.ok(ids.every((id) => id.length >= 16), 'long enough to be unique across instances and restarts');

  const refused = await fetch(`${broker.url}/userinfo`, { headers: { authorization: 'Bearer nope', 'x-request-id': 'trace-me-0001' } });
  t.equal(refused.status, 401);
  const lines = readFileSync(logFile, 'utf8').split('\n').filter((line) => line.includes('"reqId":"trace-me-0001"'));
  t.ok(lines.length > 0, 'the request log lines carry the id the answer names');
});

t.test('request metrics: one count per answer, by route pattern, method and status', async (t) => {
  await answers();
  const metrics = await (await fetch(`${broker.url}/metrics`)).text();
  const count = (route: string, method: string, status: number) =>
    Number(new RegExp(`esia_broker_http_requests_total\\{route="${route.replace(/[.*?/]/g, '\\$&')}",method="${method}",status="${status}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
  t.ok(count('/.well-known/openid-configuration', 'GET', 200) >= 3, 'discovery 200s');
  t.ok(count('/.well-known/openid-configuration', 'GET', 304) >= 2, 'discovery 304s');
  t.ok(count('/.well-known/openid-configuration', 'HEAD', 200) >= 2, 'discovery HEADs');
  t.ok(count('/jwks', 'GET', 304) >= 2, 'JWKS 304s');
  t.ok(count('/jwks', 'HEAD', 200) >= 2, 'JWKS HEADs');
  t.ok(count('/jwks', 'OPTIONS', 204) >= 2, 'JWKS preflights');
  t.ok(count('/userinfo', 'GET', 401) >= 2, 'refused userinfo');
  t.ok(count('/introspect', 'POST', 401) >= 2, 'refused introspection');
  t.ok(count('unmatched', 'GET', 404) >= 4, '404s under one label');
  t.ok(count('/__test/bug', 'GET', 500) >= 2, 'a bug is counted too');
  t.match(metrics, /esia_broker_http_request_duration_seconds_count\{route="\/jwks",method="HEAD",status="200"\} [1-9]/, 'and timed');
});
