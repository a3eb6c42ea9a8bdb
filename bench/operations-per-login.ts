import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import type { AddressInfo } from 'node:net';
import { beginLogin, exchange, refreshRaw, timedFetch } from '../test/helpers/fault-flow.js';
import { startFlowEnvironment } from '../test/helpers/login-flow.js';

// How many Postgres queries and state-store operations one login and one refresh cost, counted
// from the broker's own OpenTelemetry spans (an OTLP receiver in this process): the numbers
// behind docs/PERFORMANCE.md. Uses DATABASE_URL / REDIS_URL when set, else the embedded stores.
interface Span { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; startTimeUnixNano: string }
const { values: args } = parseArgs({ options: { names: { type: 'boolean', default: false } } });
const bodies: string[] = [];
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    bodies.push(Buffer.concat(chunks).toString('utf8'));
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const env = await startFlowEnvironment({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}` } });
await env.harness.profile({ lastName: 'Смирнова', firstName: 'Елена', middleName: 'Викторовна', birthDate: '1984-05-12', snils: '145-278-903 84', roles: ['parent'], region: '38' });

const ROUNDS = 5;
for (let i = 0; i < ROUNDS + 1; i++) {
  const login = await beginLogin(env, '1000000101');
  const tokens = await exchange(env, login, (await timedFetch(login.browser, login.callbackUrl)).response);
  const refreshed = await refreshRaw(env, tokens.refresh_token!);
  await refreshRaw(env, refreshed.body['refresh_token'] as string);
}
await env.close();
receiver.close();

const spans: Span[] = bodies.flatMap((body) => (JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Span[] }> }> }).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
const byId = new Map(spans.map((span) => [span.spanId, span]));
const serverOf = (span: Span): Span | undefined => {
  for (let at: Span | undefined = span; at; at = at.parentSpanId ? byId.get(at.parentSpanId) : undefined) if (at.kind === 2) return at;
  return undefined;
};
// Per endpoint, the average over the rounds after the first (which creates the link).
const counts = new Map<string, { requests: number; pg: number; store: number; esia: number }>();
const servers = spans.filter((span) => span.kind === 2);
// Each round posts /token three times, the code exchange, a refresh, and a refresh with the token
// that answered (the next link of a chain): told apart by order.
servers
  .filter((span) => span.name === 'POST /token')
  .sort((a, b) => (BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano) ? -1 : 1))
  .forEach((span, i) => (span.name = ['POST /token (code exchange)', 'POST /token (refresh)', 'POST /token (refresh, next in the chain)'][i % 3]!));
for (const server of servers) {
  const row = counts.get(server.name) ?? { requests: 0, pg: 0, store: 0, esia: 0 };
  row.requests += 1;
  counts.set(server.name, row);
}
for (const span of spans) {
  const server = span.kind === 2 ? undefined : serverOf(span);
  if (!server) continue;
  const row = counts.get(server.name)!;
  if (/^(pg|pglite) /.test(span.name)) row.pg += 1;
  else if (/^(redis|memory) /.test(span.name)) row.store += 1;
  else if (/^ESIA /.test(span.name)) row.esia += 1;
}
console.log(`backends: ${process.env['DATABASE_URL'] ? 'PostgreSQL' : 'PGlite'} + ${process.env['REDIS_URL'] ? 'Redis' : 'in-process'}; ${ROUNDS + 1} logins, each with two refreshes in a chain (the first login creates the link)`);
console.log('| request | per login | Postgres queries | state-store operations | ESIA calls |');
console.log('|---|---|---|---|---|');
for (const [name, row] of [...counts].sort()) {
  const each = (n: number) => (n / row.requests).toFixed(1);
  console.log(`| \`${name}\` | ${(row.requests / (ROUNDS + 1)).toFixed(1)} | ${each(row.pg)} | ${each(row.store)} | ${each(row.esia)} |`);
}

// --names: the operations of the last login, request by request, in order (what to merge next).
if (args.names) {
  const last = new Map<string, Span[]>();
  for (const server of servers) last.set(server.name, [server]); // the last span of each name wins
  for (const [name, [server]] of last) {
    const inside = spans.filter((span) => span !== server && serverOf(span) === server && /^(pg|pglite|redis|memory|ESIA) /.test(span.name));
    console.log(`\n${name}: ${inside.length} operations`);
    for (const span of inside) console.log(`  ${span.name}`);
  }
}
