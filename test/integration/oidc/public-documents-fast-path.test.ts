import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import t, { type Test } from 'tap';
import { createLogger } from '../../../src/observability/logger.js';
import type { FastPathSwitch } from '../../../src/http/public-documents-fast-path.js';
import { startBroker } from '../../helpers/broker.js';
import { captureLogFile, createTestLogger } from '../../helpers/log-capture.js';
import pino from 'pino';

// Discovery and JWKS are answered before Fastify's lifecycle (public-documents-fast-path.ts).
// The same app answers every request of a matrix twice, the fast path on and off (Fastify's
// own route), and the answers must be the same: status, every header in order, body; the log
// lines and the metrics tally. Only Date and a generated request id may differ.
const DISCOVERY = '/.well-known/openid-configuration';
const toggle: FastPathSwitch = { on: true };
const logFile = captureLogFile();
let reachedFastify = 0;
const broker = await startBroker({
  app: { publicDocumentsFastPath: toggle },
  overrides: () => ({ logger: createTestLogger(logFile) }),
  routes: (app) =>
    app.addHook('onRequest', (_request, _reply, done) => {
      reachedFastify += 1;
      done();
    }),
});
t.teardown(() => broker.close());
const port = Number(new URL(broker.url).port);
const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
t.teardown(() => keepAlive.destroy());

interface Raw {
  status: number;
  headers: string[];
  body: Buffer;
  id: string;
}

function send(method: string, path: string, headers: Record<string, string>, agent: Agent | false): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.rawHeaders, body: Buffer.concat(chunks), id: (res.headers as IncomingHttpHeaders)['x-request-id'] as string }));
    });
    req.on('error', reject);
    req.end();
  });
}

// Date always differs; a generated request id differs by its counter only.
function comparable(raw: Raw, generatedId: boolean): Raw {
  const headers = raw.headers.map((value, i) => {
    const name = raw.headers[i - 1]?.toLowerCase();
    if (i % 2 === 1 && name === 'date') return '<date>';
    if (i % 2 === 1 && name === 'x-request-id' && generatedId) return value.replace(/\.[0-9a-z]+$/, '.<n>');
    return value;
  });
  return { ...raw, headers, id: '' };
}

// The counter and the histogram's count, from a whole scrape (as /metrics reads them).
async function tallies(): Promise<Map<string, number>> {
  const metrics = await broker.deps.metrics.registry.getMetricsAsJSON();
  const values = metrics
    .filter((metric) => metric.name.startsWith('esia_broker_http_request'))
    .flatMap((metric) => metric.values.filter((v) => !('le' in v.labels)).map((v) => ({ ...v, name: (v as { metricName?: string }).metricName ?? metric.name })));
  return new Map(values.filter((v) => !v.name.endsWith('_sum')).map((v) => [`${v.name} ${v.labels['route']} ${v.labels['method']} ${v.labels['status']}`, v.value]));
}
function tallied(before: Map<string, number>, after: Map<string, number>): string[] {
  return [...after].filter(([key, value]) => value !== (before.get(key) ?? 0)).map(([key, value]) => `${key} +${value - (before.get(key) ?? 0)}`);
}

const logSize = () => readFileSync(logFile).length;
function logLinesOf(id: string, from: number): Array<Record<string, unknown>> {
  return readFileSync(logFile)
    .subarray(from)
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line['reqId'] === id)
    .map(({ time, responseTime, ...rest }) => ({ ...rest, time: typeof time, responseTime: typeof responseTime }));
}
function withoutId(lines: Array<Record<string, unknown>>, id: string) {
  return JSON.parse(JSON.stringify(lines).replaceAll(JSON.stringify(id).slice(1, -1), '<id>')) as unknown;
}

async function compare(t: Test, path: string, etag: string) {
  const matrix: Array<[string, Record<string, string>, Agent | false]> = [];
  for (const method of ['GET', 'HEAD']) {
    for (const condition of [{}, { 'if-none-match': etag }, { 'if-none-match': '"something-else"' }] as Array<Record<string, string>>) {
      for (const origin of [{}, { origin: 'https://diary.example' }] as Array<Record<string, string>>) {
        for (const id of [{}, { 'x-request-id': 'lb-7f3a.9' }, { 'x-request-id': 'not sane!' }, { 'x-request-id': 'x'.repeat(65) }] as Array<Record<string, string>>) {
          matrix.push([method, { ...condition, ...origin, ...id }, keepAlive]);
        }
      }
    }
  }
  matrix.push(['GET', {}, false], ['HEAD', { 'if-none-match': etag }, false]); // Connection: close

  for (const [method, headers, agent] of matrix) {
    const name = `${method} ${path} ${JSON.stringify(headers)}${agent ? '' : ' connection: close'}`;
    const generatedId = headers['x-request-id'] !== 'lb-7f3a.9';
    const run = async (on: boolean) => {
      toggle.on = on;
      const reached = reachedFastify;
      const before = await tallies();
      const logFrom = logSize();
      const raw = await send(method, path, headers, agent);
      await new Promise((resolve) => setImmediate(resolve)); // the completion line and tally follow the answer
      return { raw, viaFastify: reachedFastify - reached, metrics: tallied(before, await tallies()), log: withoutId(logLinesOf(raw.id, logFrom), raw.id) };
    };
    const fast = await run(true);
    const fastify = await run(false);
    t.equal(fast.viaFastify, 0, `${name}: answered before Fastify`);
    t.equal(fastify.viaFastify, 1, `${name}: the reference went through Fastify`);
    t.same(comparable(fast.raw, generatedId), comparable(fastify.raw, generatedId), `${name}: status, headers in order, body`);
    if (!generatedId) t.equal(fast.raw.id, 'lb-7f3a.9', `${name}: the caller's id`);
    else t.not(fast.raw.id, headers['x-request-id'], `${name}: an id of ours`);
    t.same(fast.metrics, fastify.metrics, `${name}: one tally in the same series`);
    t.equal(fast.metrics.length, 2, 'the counter and the histogram');
    t.same(fast.log, fastify.log, `${name}: the same log lines`);
    t.equal((fast.log as unknown[]).length, 2, `${name}: incoming request, request completed`);
  }
}

t.test('discovery: every answer as Fastify gives it', async (t) => {
  const etag = (await fetch(`${broker.url}${DISCOVERY}`)).headers.get('etag')!;
  await compare(t, DISCOVERY, etag);
});

t.test('JWKS, before and after a key rotation', async (t) => {
  const first = (await fetch(`${broker.url}/jwks`)).headers.get('etag')!;
  await compare(t, '/jwks', first);
  await broker.deps.oidc.ctx.keys.rotate();
  const after = await fetch(`${broker.url}/jwks`); // rebuilt by Fastify's route (not at hand right after a rotation)
  const rotated = after.headers.get('etag')!;
  t.not(rotated, first, 'a new key set, a new ETag');
  t.equal(((await after.json()) as { keys: unknown[] }).keys.length, 4, 'old and new keys published');
  await compare(t, '/jwks', rotated);
});

t.test('anything else goes to Fastify', async (t) => {
  toggle.on = true;
  for (const [method, path, headers] of [
    ['GET', '/jwks?x=1', {}],
    ['GET', `${DISCOVERY}?`, {}],
    ['POST', '/jwks', {}],
    ['OPTIONS', '/jwks', { origin: 'https://diary.example', 'access-control-request-method': 'GET' }],
    ['GET', '/jwks/', {}],
    ['GET', '/JWKS', {}],
  ] as const) {
    const reached = reachedFastify;
    await send(method, path, headers, keepAlive);
    t.equal(reachedFastify - reached, 1, `${method} ${path}`);
  }
});

t.test('the server is set up as Fastify sets up its own', async (t) => {
  // Without a serverFactory of the caller's, the fast path creates the server Fastify would.
  const { buildApp } = await import('../../../src/app.js');
  const settings = async (fastPath: FastPathSwitch | false) => {
    const app = await buildApp(broker.deps, { publicDocumentsFastPath: fastPath });
    const { server } = app;
    const found = { keepAliveTimeout: server.keepAliveTimeout, requestTimeout: server.requestTimeout, timeout: server.timeout, headersTimeout: server.headersTimeout, maxRequestsPerSocket: server.maxRequestsPerSocket, requestListeners: server.listenerCount('request') };
    await app.close();
    return found;
  };
  const ours = await settings({ on: true });
  t.match(ours, { keepAliveTimeout: 72_000, requestTimeout: 30_000, timeout: 30_000, requestListeners: 1 });
  t.same(ours, await settings(false), "the same as Fastify's own server");
});

t.test('at LOG_LEVEL=warn, no request lines', async (t) => {
  const quietFile = captureLogFile();
  const quiet = await startBroker({ overrides: () => ({ logger: createLogger({ level: 'warn', destination: pino.destination({ dest: quietFile, sync: true, mkdir: true }) }) }) });
  t.teardown(() => quiet.close());
  for (const path of [DISCOVERY, '/jwks']) t.equal((await fetch(`${quiet.url}${path}`)).status, 200);
  const lines = readFileSync(quietFile, 'utf8');
  t.notMatch(lines, /incoming request|request completed/);
});

t.test('once the app closes, Fastify answers (503 to a request on a busy keep-alive connection)', async (t) => {
  let entered!: () => void;
  const slowEntered = new Promise<void>((resolve) => (entered = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const closing = await startBroker({
    routes: (app) =>
      app.get('/__test/slow', async () => {
        entered();
        await released;
        return { ok: true };
      }),
  });
  const socket = connect(Number(new URL(closing.url).port), '127.0.0.1');
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.write('GET /__test/slow HTTP/1.1\r\nHost: x\r\n\r\n');
  await slowEntered;
  const closed = closing.close();
  await new Promise((resolve) => setImmediate(resolve));
  socket.write('GET /jwks HTTP/1.1\r\nHost: x\r\n\r\n');
  await new Promise((resolve) => setTimeout(resolve, 50));
  release();
  await closed;
  await new Promise((resolve) => setTimeout(resolve, 100));
  socket.destroy();
  const answers = received.split(/(?=HTTP\/1\.1 )/);
  t.match(answers[0], /^HTTP\/1\.1 200 /);
  t.match(answers[1], /^HTTP\/1\.1 503 [^]*\r\n\r\n\{"error":"Service Unavailable","message":"Service Unavailable","statusCode":503\}$/);
});
