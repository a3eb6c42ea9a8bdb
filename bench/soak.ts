import { appendFileSync, readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, startBrokerSide } from './compare/broker-side.js';
import { send } from './compare/load.js';
import { summarize } from './stats.js';

// A soak of the broker as production runs it (`node dist/src/main.js` on PostgreSQL + Redis, build
// first): the token side's mix at a fixed rate, half of what the broker answers flat out, for
// --minutes (default 10), with one whole login every second besides. Latency is measured from
// when each request was due (open loop), so a stall counts against every request it delays.
// Prints a line a minute (answers, p50, p99, RSS, heap) and the verdicts: memory flat (the last
// minute's RSS and heap within 10% + 8 MB of the second minute's) and p99 under 25 ms.
// Usage: npm run build && npx tsx bench/soak.ts [--minutes 10] [--rate N] [--record]
const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string' },
    record: { type: 'boolean', default: false },
  },
});
const CHAINS = 32;
const broker = await startBrokerSide({ logins: CHAINS });
const pid = broker.child.pid!;
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

const call = (method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: string) => send(agent, `${broker.url}${path}`, method, headers, body);

// The mix a diary backend sends: introspection and userinfo for its API calls, refresh as each
// access token runs out (chains: the rotated token from each answer, one request in flight per chain).
// The newest access token from the chains' answers: a fixed one would expire mid-soak.
let access = broker.tokens[0]!.access_token;
const chains = broker.tokens.map((t) => ({ token: t.refresh_token, busy: false }));
type Kind = 'introspect' | 'userinfo' | 'refresh';
const MIX: Kind[] = ['introspect', 'introspect', 'introspect', 'introspect', 'userinfo', 'userinfo', 'userinfo', 'userinfo', 'refresh', 'refresh'];
let skippedRefresh = 0;
const refusals = new Map<string, number>();
const refused = (kind: Kind, status: number) => {
  refusals.set(`${kind} ${status}`, (refusals.get(`${kind} ${status}`) ?? 0) + 1);
  return false;
};

async function one(kind: Kind): Promise<boolean> {
  const introspect = async () => {
    const { status } = await call('POST', '/introspect', { authorization: broker.basic }, `token=${access}`);
    return status === 200 || refused('introspect', status);
  };
  if (kind === 'introspect') return introspect();
  if (kind === 'userinfo') {
    const { status } = await call('GET', '/userinfo', { authorization: `Bearer ${access}` });
    return status === 200 || refused('userinfo', status);
  }
  const chain = chains.find((c) => !c.busy);
  if (!chain) {
    skippedRefresh++;
    return introspect();
  }
  chain.busy = true;
  try {
    const answer = await call('POST', '/token', { authorization: broker.basic }, `grant_type=refresh_token&refresh_token=${encodeURIComponent(chain.token)}`);
    if (answer.status !== 200) return refused('refresh', answer.status);
    const tokens = JSON.parse(answer.body) as { refresh_token: string; access_token: string };
    chain.token = tokens.refresh_token;
    access = tokens.access_token;
    return true;
  } finally {
    chain.busy = false;
  }
}

/** Closed loop, 32 at a time, for `seconds`: how many answers a second the broker gives flat out. */
async function maximum(seconds: number): Promise<number> {
  let done = 0;
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: CHAINS }, async (_, lane) => {
      for (let i = lane; performance.now() < deadline; i++) if (await one(MIX[i % MIX.length]!)) done++;
    }),
  );
  return done / seconds;
}

function memory(): Promise<{ rssMb: number; heapMb: number }> {
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  return call('GET', '/metrics', {}).then(({ body }) => {
    const heap = Number(/^esia_broker_nodejs_heap_size_used_bytes (\S+)$/m.exec(body)?.[1] ?? 0) / 2 ** 20;
    return { rssMb: Math.round(rss), heapMb: Math.round(heap) };
  });
}

const loadBefore = loadavg();
const max = await maximum(10);
const rate = Number(args.rate ?? Math.round(max / 2));
const minutes = Number(args.minutes);
process.stderr.write(`refused while flat out: ${JSON.stringify(Object.fromEntries(refusals))}\n`);
process.stderr.write(`flat out ${Math.round(max)}/s; soaking at ${rate}/s for ${minutes} min\n`);

interface Minute { answers: number; failed: number; latencies: number[]; logins: number; loginFailures: number }
const perMinute: (Minute & { rssMb: number; heapMb: number })[] = [];
let current: Minute = { answers: 0, failed: 0, latencies: [], logins: 0, loginFailures: 0 };
const started = performance.now();
const end = started + minutes * 60_000;
let sent = 0;
const inFlight = new Set<Promise<void>>();
const TICK_MS = 5;

// Open loop: every tick sends what is due by then; each request's latency runs from when it was due.
await new Promise<void>((resolve) => {
  const timer = setInterval(() => {
    const now = performance.now();
    const due = Math.floor(((Math.min(now, end) - started) / 1000) * rate);
    for (; sent < due; sent++) {
      const dueAt = started + (sent / rate) * 1000;
      const minute = current;
      const p = one(MIX[sent % MIX.length]!)
        .then((ok) => {
          minute.answers++;
          if (ok) minute.latencies.push(performance.now() - dueAt);
          else minute.failed++;
        })
        .catch(() => {
          minute.failed++;
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    if (now >= end) {
      clearInterval(timer);
      resolve();
    }
  }, TICK_MS);
  const loginTimer = setInterval(() => {
    const minute = current;
    broker.login().then(() => minute.logins++, () => minute.loginFailures++);
    if (performance.now() >= end) clearInterval(loginTimer);
  }, 1000);
  const minuteTimer = setInterval(() => {
    const finished = current;
    current = { answers: 0, failed: 0, latencies: [], logins: 0, loginFailures: 0 };
    void memory().then((m) => {
      perMinute.push({ ...finished, ...m });
      const s = summarize(finished.latencies);
      process.stderr.write(`minute ${perMinute.length}: ${finished.answers} answers (${finished.failed} failed), p50 ${s.p50} ms, p99 ${s.p99} ms, ${finished.logins} logins, RSS ${m.rssMb} MB, heap ${m.heapMb} MB\n`);
    });
    if (performance.now() >= end - 1000) clearInterval(minuteTimer);
  }, 60_000);
});
await Promise.all(inFlight);
await new Promise((resolve) => setTimeout(resolve, 1500));
await broker.close();
agent.destroy();

const all = summarize(perMinute.flatMap((m) => m.latencies));
const steady = perMinute.slice(1);
const first = steady[0];
const last = steady.at(-1);
const flat = (a: number, b: number) => b <= a * 1.1 + 8;
const memoryFlat = first && last ? flat(first.rssMb, last.rssMb) && flat(first.heapMb, last.heapMb) : false;
const failed = perMinute.reduce((n, m) => n + m.failed + m.loginFailures, 0);
const lines = [
  `## Soak (\`bench/soak.ts\`) — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
  `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}, Node ${process.version}; load average before ${loadBefore.map((l) => l.toFixed(2)).join(' / ')}, after ${loadavg().map((l) => l.toFixed(2)).join(' / ')}. PostgreSQL + Redis, ESIA_SIGNER=engine.`,
  `Flat out ${Math.round(max)} answers/s (introspection 40%, userinfo 40%, refresh chains 20%); soaked at ${rate}/s for ${minutes} min plus one whole login a second. Latency from when each request was due.`,
  '',
  '| minute | answers | failed | p50 | p99 | logins | RSS | heap |',
  '|---|---|---|---|---|---|---|---|',
  ...perMinute.map((m, i) => {
    const s = summarize(m.latencies);
    return `| ${i + 1} | ${m.answers} | ${m.failed + m.loginFailures} | ${s.p50} ms | ${s.p99} ms | ${m.logins} | ${m.rssMb} MB | ${m.heapMb} MB |`;
  }),
  '',
  ...(refusals.size ? [`Refused: ${[...refusals].map(([k, n]) => `${k} × ${n}`).join(', ')}.`] : []),
  `Whole run: p50 ${all.p50} ms, p99 ${all.p99} ms (target < 25 ms: ${all.p99 < 25 ? 'met' : 'NOT met'}); ${failed} failed; memory ${memoryFlat ? 'flat' : 'NOT flat'} (minute 2 → last: RSS ${first?.rssMb} → ${last?.rssMb} MB, heap ${first?.heapMb} → ${last?.heapMb} MB)${skippedRefresh ? `; ${skippedRefresh} refreshes found every chain busy and introspected instead` : ''}.`,
  '',
];
console.log(lines.join('\n'));
if (args.record) appendFileSync(join(ROOT, 'bench', 'RESULTS.md'), `\n${lines.join('\n')}`);
