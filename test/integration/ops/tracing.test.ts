import t from 'tap';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { beginLogin, exchange, timedFetch } from '../../helpers/fault-flow.js';
import { startFlowEnvironment } from '../../helpers/login-flow.js';
import { configProblems } from '../../helpers/config-problems.js';
import { startBroker } from '../../helpers/broker.js';
import { createTestLogger } from '../../helpers/log-capture.js';
import { createTracing } from '../../../src/observability/tracing.js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// OpenTelemetry end to end: a broker with OTEL_EXPORTER_OTLP_ENDPOINT sends its spans, OTLP over
// HTTP (JSON), to a receiver in this test. One login must come out as server spans with the ESIA
// calls, Postgres queries and state-store operations under them, and nothing personal anywhere.

interface OtlpSpan { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; startTimeUnixNano: string; attributes?: Array<{ key: string; value: Record<string, unknown> }>; status?: { code?: number } }
interface OtlpBody { resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }; scopeSpans: Array<{ spans: OtlpSpan[] }> }> }

async function startReceiver(): Promise<{ url: string; bodies: string[]; server: Server }> {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') bodies.push(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies, server };
}

const spansOf = (bodies: string[]) => bodies.flatMap((body) => (JSON.parse(body) as OtlpBody).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
const attribute = (span: OtlpSpan, key: string) => {
  const value = span.attributes?.find((a) => a.key === key)?.value;
  return value ? (value['stringValue'] ?? value['intValue']) : undefined;
};

t.test('a login traced: server spans, and ESIA, Postgres and the state store under them; nothing personal', async (t) => {
  const receiver = await startReceiver();
  t.teardown(() => new Promise<void>((resolve) => receiver.server.close(() => resolve())));
  const env = await startFlowEnvironment({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'esia-broker-under-test' } });
  let closed = false;
  t.teardown(() => (closed ? undefined : env.close()));
  t.ok(env.broker.deps.tracing.enabled, 'on, by the standard variable');
  await env.harness.profile({ lastName: 'Смирнова', firstName: 'Елена', middleName: 'Викторовна', birthDate: '1984-05-12', snils: '145-278-903 84', roles: ['parent'], region: '38' });

  const login = await beginLogin(env, '1000000101');
  const callback = await timedFetch(login.browser, login.callbackUrl);
  const code = new URL(callback.response.headers.get('location')!).searchParams.get('code')!;
  const tokens = await exchange(env, login, callback.response);
  // A diary backend that traces itself: its traceparent becomes the parent of our span.
  const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
  const userinfo = await fetch(`${env.broker.url}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}`, traceparent: `00-${callerTrace}-00f067aa0ba902b7-01` } });
  t.equal(userinfo.status, 200);
  // The same person again, now linked.
  const again = await beginLogin(env, '1000000101');
  await exchange(env, again, (await timedFetch(again.browser, again.callbackUrl)).response);
  await env.close(); // flushes the batch
  closed = true;

  const spans = spansOf(receiver.bodies);
  t.ok(spans.length > 10, `${spans.length} spans received`);
  const resource = (JSON.parse(receiver.bodies[0]!) as OtlpBody).resourceSpans[0]!.resource.attributes;
  t.equal(resource.find((a) => a.key === 'service.name')?.value.stringValue, 'esia-broker-under-test', 'OTEL_SERVICE_NAME names the service');

  /** A request's server spans, in the order they began. */
  const serverSpans = (name: string) => spans.filter((span) => span.name === name && span.kind === 2).sort((a, b) => (BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano) ? -1 : 1));
  const server = (name: string) => serverSpans(name)[0];
  for (const name of ['GET /authorize', 'GET /esia/callback', 'POST /token', 'GET /userinfo']) t.ok(server(name), `server span ${name}`);
  t.equal(attribute(server('GET /esia/callback')!, 'http.route'), '/esia/callback');
  t.equal(Number(attribute(server('POST /token')!, 'http.response.status_code')), 200);

  // Everything the callback did hangs under its span, in its trace.
  const callbackSpan = server('GET /esia/callback')!;
  const byId = new Map(spans.map((span) => [span.spanId, span]));
  const under = (span: OtlpSpan, ancestor: OtlpSpan): boolean => {
    for (let at: OtlpSpan | undefined = span; at; at = at.parentSpanId ? byId.get(at.parentSpanId) : undefined) if (at.spanId === ancestor.spanId) return true;
    return false;
  };
  const inCallback = spans.filter((span) => span !== callbackSpan && under(span, callbackSpan));
  const names = inCallback.map((span) => span.name);
  t.ok(names.some((name) => /^ESIA POST \/aas\/oauth2\/v3\/te$/.test(name)), 'the token exchange at ESIA');
  t.ok(names.some((name) => /^ESIA GET \/rs\/prns\/\{id\}/.test(name)), "the person's data, the oid templated out of the name");
  t.ok(names.some((name) => /^(pg|pglite) SELECT /.test(name)), 'Postgres queries');
  t.ok(names.some((name) => /^(redis|memory) \w+$/.test(name)), 'state-store operations');
  t.ok(inCallback.every((span) => span.traceId === callbackSpan.traceId), 'one trace');
  t.equal(server('GET /userinfo')!.traceId, callerTrace, "the caller's traceparent is the parent");

  // The state-store round trips of the login's steps, pinned (bench/operations-per-login.ts counts
  // them all): /authorize stores the interaction and the pending ESIA login in one write.
  const operationsUnder = (request: OtlpSpan, system: RegExp) => {
    return spans
      .filter((span) => span !== request && under(span, request) && system.test(span.name))
      .sort((a, b) => (BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano) ? -1 : 1))
      .map((span) => span.name.split(' ').slice(1).join(' '));
  };
  const storeOperations = (name: string) => operationsUnder(server(name)!, /^(redis|memory) /);
  /** Postgres statements as verb and table ("WITH refresh_token_families"); QUERY for a prepared one. */
  const databaseStatements = (request: OtlpSpan) => operationsUnder(request, /^(pg|pglite) /);
  t.same(storeOperations('GET /authorize'), ['putMany'], '/authorize: one state-store operation');
  // The failure limit's slot lease (token/failure-limit.ts) aside, and its give-back: a timer
  // the exchange arms returns the slot 100-200 ms later, under the exchange's span when anything
  // (the next login here, a loaded machine) keeps the broker up that long.
  const codeExchange = storeOperations('POST /token').filter((operation) => operation !== 'incrementAllBelow' && operation !== 'decrement');
  t.same(codeExchange, ['takeIfFields', 'put'], 'the code exchange: the code taken in one step (no look first), the redemption recorded');
  const grantWrites = databaseStatements(server('POST /token')!).filter((statement) => / refresh_token/.test(statement));
  t.same(grantWrites, ['WITH refresh_token_families'], 'the code exchange: the grant and its first refresh token written in one statement');
  t.same(storeOperations('GET /esia/callback'), ['takeIfFields', 'get', 'take', 'take', 'put', 'addToRecent', 'put'], "the callback: the session and its account index's entry together, the index not read first");
  const linkedCallback = serverSpans('GET /esia/callback')[1]!;
  t.same(databaseStatements(linkedCallback), ['QUERY account_links', 'WITH account_links'], "a linked person's callback: the links with their profiles in one statement, then the login recorded in one");

  // Nothing personal, secret or single-use in any span: names, SNILS, birth date, e-mail, oid, code, tokens.
  const everything = receiver.bodies.join('\n');
  for (const secret of ['Смирнова', 'Елена', 'Викторовна', '145-278-903 84', '14527890384', '1984-05-12', '12.05.1984', 'e.smirnova@example.ru', '1000000101', code, login.state, tokens.access_token, tokens.refresh_token!]) {
    t.notOk(everything.includes(secret), `no ${secret.length > 16 ? `${secret.slice(0, 8)}…` : secret} in the spans`);
  }
});

t.test('a collector that is down costs nothing but the spans: the login goes on', async (t) => {
  const receiver = await startReceiver();
  const deadUrl = receiver.url;
  await new Promise<void>((resolve) => receiver.server.close(() => resolve()));
  const env = await startFlowEnvironment({ embedded: true, env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${deadUrl}/v1/traces` } });
  t.teardown(() => env.close());
  await env.harness.profile({ lastName: 'Смирнова', firstName: 'Елена', middleName: 'Викторовна', birthDate: '1984-05-12', snils: '145-278-903 84', roles: ['parent'], region: '38' });
  const login = await beginLogin(env, '1000000101');
  const tokens = await exchange(env, login, (await timedFetch(login.browser, login.callbackUrl)).response);
  t.ok(tokens.access_token, 'tokens, though no span could be delivered');
});

t.test('off by default and when switched off; bad settings are named', async (t) => {
  const broker = await startBroker({ embedded: true });
  t.teardown(() => broker.close());
  t.equal(broker.deps.tracing.enabled, false, 'no OTEL_* endpoint: off');
  t.equal(broker.deps.config.tracing.tracesUrl, undefined);
  const off = await startBroker({ embedded: true, env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1', OTEL_SDK_DISABLED: 'true' } });
  t.teardown(() => off.close());
  t.equal(off.deps.tracing.enabled, false, 'OTEL_SDK_DISABLED=true wins');
  // A collector URL can carry a key (user:password, or a query parameter): the start log omits both.
  const logFile = join(mkdtempSync(join(tmpdir(), 'tracing-log-')), 'log.ndjson');
  const keyed = createTracing({ tracesUrl: 'http://collector-user:collector-secret@127.0.0.1:1/v1/traces?api_key=query-secret', headers: {}, serviceName: 'esia-broker', sampler: 'parentbased_always_on', ratio: 1 }, createTestLogger(logFile));
  await keyed.shutdown();
  const startLog = readFileSync(logFile, 'utf8');
  t.match(startLog, /"tracesUrl":"http:\/\/127\.0\.0\.1:1\/v1\/traces".*OpenTelemetry tracing on/, 'where spans go is still logged');
  t.notMatch(startLog, /collector-user|collector-secret|query-secret/, 'the collector URL is logged without its credentials');
  t.teardown(() => off.close());
  t.equal(off.deps.tracing.enabled, false, 'OTEL_SDK_DISABLED=true wins');
  t.match(configProblems({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }).join('\n'), /OTEL_EXPORTER_OTLP_ENDPOINT: must be an http\(s\) URL/);
  t.match(configProblems({ OTEL_TRACES_EXPORTER: 'jaeger' }).join('\n'), /OTEL_TRACES_EXPORTER: must be otlp or none/);
  t.match(configProblems({ OTEL_TRACES_SAMPLER_ARG: '2' }).join('\n'), /OTEL_TRACES_SAMPLER_ARG: must be a ratio/);
});
