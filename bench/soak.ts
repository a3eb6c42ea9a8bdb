import { fork } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, startBrokerSide } from './compare/broker-side.js';
import { podMemoryLimitMb } from './compare/production-runtime.js';
import { KindLatencies, percentiles, type Percentiles } from './soak/latency.js';
import type { MinuteReport, Orders, Report } from './soak/generator.js';

// A soak of the broker as production runs it (`node dist/src/main.js` on PostgreSQL + Redis, build
// first): the token side's mix at a fixed rate, half of what the broker answers flat out, for
// --minutes (default 10), with one whole login every second besides. Three processes: the broker;
// the load generator (bench/soak/generator.ts), which does nothing but send and time; and this
// one, which seeds, runs the ESIA emulator, drives the logins and reads memory. Latency is
// measured from when each request was due (open loop), so a stall counts against every request
// it delays; the generator's and the broker's event-loop delays are printed beside it, to tell
// whose stall it was. Prints a line a minute and the verdicts: memory flat (the last minute's RSS
// and the heap kept after major GCs within 10% + 8 MB of the second minute's) and p99 under 25 ms.
// Usage: npm run build && npx tsx bench/soak.ts [--minutes 10] [--rate N] [--record] [--node-arg=FLAG ...] [--timeline FILE] [--node PATH] [--memory-limit MB]
// --memory-limit MB (default: a production pod's, from deploy/k8s/overlays/production; 0: none): the
// broker runs in a memory cgroup of that size, as in its pod, where Node sizes V8's heap from it
// (root needed). The broker gets the image's node flags (the Dockerfile's CMD) before --node-arg's.
// --timeline FILE: the generator's answers per 100 ms (epoch ms, answers, slowest ms, over 25 ms),
// FILE.logins each login step (epoch ms, ms, step) and FILE.broker the broker's stdout (with
// --node-arg=--trace-gc, its GC pauses): to line the slow moments up with what caused them.
const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string' },
    record: { type: 'boolean', default: false },
    // Flags for the broker's node (e.g. --node-arg=--max-semi-space-size=32), to try V8 settings.
    'node-arg': { type: 'string', multiple: true, default: [] },
    timeline: { type: 'string' },
    // The node binary that runs the broker, e.g. production's LTS (node_modules/node/bin/node from `npm i node@24`).
    node: { type: 'string' },
    'memory-limit': { type: 'string', default: String(podMemoryLimitMb(ROOT)) },
  },
});
const CHAINS = 32;
const minutes = Number(args.minutes);
const brokerNode = args.node ? execFileSync(args.node, ['--version'], { encoding: 'utf8' }).trim() : process.version;
const brokerStarted = Date.now();
const broker = await startBrokerSide({ logins: CHAINS, nodeArgs: args['node-arg'], ...(args.timeline ? { stdout: `${args.timeline}.broker` } : {}), ...(args.node ? { node: args.node } : {}), memoryLimitMb: Number(args['memory-limit']) });
const loginLines: string[] = [`# broker started ${brokerStarted} (epoch ms; --trace-gc times count from about then)`];
const pid = broker.child.pid!;

// The login steps' latency (closed loop, measured here, in the emulator's process): every
// request to the broker the login driver makes, by method and path.
const loginSteps = { minute: new KindLatencies(), whole: new KindLatencies() };
const plainFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const url = new URL(input instanceof Request ? input.url : input.toString());
  if (url.origin !== new URL(broker.url).origin) return plainFetch(input, init);
  const step = `login ${init?.method ?? (input instanceof Request ? input.method : 'GET')} ${url.pathname}`;
  const t0 = performance.now();
  const response = await plainFetch(input, init);
  const ms = performance.now() - t0;
  loginSteps.minute.record(step, ms);
  if (args.timeline) loginLines.push(`${Math.round(performance.timeOrigin + t0)} ${ms.toFixed(1)} ${step}`);
  loginSteps.whole.record(step, ms);
  return response;
};

/** GC by kind since the broker started: pauses, their total and how many took over 10 ms (prom-client's nodejs_gc_duration_seconds). */
type GcTally = Record<string, { n: number; ms: number; over10: number }>;
let gcBefore: GcTally = {};
function gcOf(body: string): GcTally {
  const out: GcTally = {};
  const value = (name: string, kind: string, extra = '') => Number(new RegExp(`^esia_broker_nodejs_gc_duration_seconds_${name}\\{${extra}kind="${kind}"\\} (\\S+)$`, 'm').exec(body)?.[1] ?? 0);
  for (const kind of ['minor', 'major', 'incremental', 'weakcb']) {
    const n = value('count', kind);
    out[kind] = { n, ms: value('sum', kind) * 1000, over10: n - value('bucket', kind, 'le="0.01",') };
  }
  return out;
}
/** The GC pauses of one minute, e.g. `minor 412×/180 ms, major 3×/95 ms (2 over 10 ms)`. */
function gcSince(now: GcTally): string {
  const parts = Object.entries(now).flatMap(([kind, t]) => {
    const b = gcBefore[kind] ?? { n: 0, ms: 0, over10: 0 };
    const n = t.n - b.n;
    return n > 0 ? [`${kind} ${n}×/${Math.round(t.ms - b.ms)} ms${t.over10 - b.over10 > 0 ? ` (${t.over10 - b.over10} over 10 ms)` : ''}`] : [];
  });
  gcBefore = now;
  return parts.join(', ') || 'none';
}

async function scrape(): Promise<{ rssMb: number; heapMb: number; keptMb: number; loop: Percentiles; gc: string }> {
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  const body = await (await plainFetch(`${broker.url}/metrics`)).text();
  const metric = (name: string) => Number(new RegExp(`^esia_broker_${name} (\\S+)$`, 'm').exec(body)?.[1] ?? 0);
  // prom-client's event-loop delay (monitorEventLoopDelay, 10 ms resolution) since the last scrape.
  const seconds = (name: string) => Math.round(metric(name) * 10_000) / 10;
  return {
    rssMb: Math.round(rss),
    heapMb: Math.round(metric('nodejs_heap_size_used_bytes') / 2 ** 20),
    keptMb: Math.round(metric('heap_live_bytes') / 2 ** 20),
    loop: { n: 0, p50: seconds('nodejs_eventloop_lag_p50_seconds'), p99: seconds('nodejs_eventloop_lag_p99_seconds'), max: seconds('nodejs_eventloop_lag_max_seconds') },
    gc: gcSince(gcOf(body)),
  };
}

const loadBefore = loadavg();
const generator = fork(join(import.meta.dirname, 'soak', 'generator.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const exited = new Promise<number | null>((resolve) => generator.once('exit', resolve));
const orders: Orders = { url: broker.url, basic: broker.basic, tokens: broker.tokens, minutes, ...(args.rate ? { rate: Number(args.rate) } : {}), ...(args.timeline ? { timeline: args.timeline } : {}) };
generator.send(orders);

interface Minute extends MinuteReport {
  logins: number;
  loginFailures: number;
  login: Percentiles;
  loginKinds: Record<string, Percentiles>;
  driverLoop: Percentiles;
  rssMb: number;
  heapMb: number;
  /** The heap kept after major GCs (esia_broker_heap_live_bytes, the least of the last three): what a leak would raise. */
  keptMb: number;
  brokerLoop: Percentiles;
}
const perMinute: Minute[] = [];
const logins: { ok: number; failed: number }[] = [];
let max: number | undefined;
let rate = 0;
let done: Extract<Report, { type: 'done' }> | undefined;
const driverLoop = monitorEventLoopDelay({ resolution: 10 });
let loginTimer: NodeJS.Timeout | undefined;
const scrapes: Promise<void>[] = [];

await new Promise<void>((resolve, reject) => {
  void exited.then((code) => (done ? resolve() : reject(new Error(`the load generator exited (${code}) before it finished`))));
  generator.on('message', (message: Report) => {
    if (message.type === 'probe') {
      max = message.max;
      process.stderr.write(`refused while flat out: ${JSON.stringify(message.refusals)}\n`);
    } else if (message.type === 'soaking') {
      rate = message.rate;
      process.stderr.write(`${max === undefined ? '' : `flat out ${Math.round(max)}/s; `}soaking at ${rate}/s for ${minutes} min\n`);
      // The generator's clock starts now; this scrape zeroes the broker's event-loop histogram.
      const started = performance.now();
      void scrape();
      driverLoop.enable();
      loginTimer = setInterval(() => {
        const index = Math.floor((performance.now() - started) / 60_000);
        const tally = (logins[index] ??= { ok: 0, failed: 0 });
        broker.login().then(() => tally.ok++, () => tally.failed++);
      }, 1000);
    } else if (message.type === 'minute') {
      const { all: login, kinds: loginKinds } = loginSteps.minute.summary();
      loginSteps.minute = new KindLatencies();
      const driver = percentiles(driverLoop, 1e6);
      driverLoop.reset();
      const scraped = scrape().then((m) => {
        const tally = logins[message.index] ?? { ok: 0, failed: 0 };
        const minute: Minute = { ...message, logins: tally.ok, loginFailures: tally.failed, login, loginKinds, driverLoop: driver, rssMb: m.rssMb, heapMb: m.heapMb, keptMb: m.keptMb, brokerLoop: m.loop };
        perMinute[message.index] = minute;
        process.stderr.write(
          `minute ${message.index + 1}: ${message.answers} answers (${message.failed} failed), p50 ${message.all.p50} ms, p99 ${message.all.p99} ms, sent late by p99 ${message.lateness.p99} ms` +
            ` (${Object.entries(message.kinds).map(([kind, s]) => `${kind} ${s.p99}`).join(', ')}), ${tally.ok} logins (steps p99 ${login.p99} ms),` +
            ` event-loop delay p99: generator ${message.loop.p99} ms, broker ${m.loop.p99} ms; generator CPU ${message.cpuPercent}%, RSS ${m.rssMb} MB, heap ${m.heapMb} MB (kept ${m.keptMb} MB); broker GC ${m.gc}\n`,
        );
      });
      scrapes.push(scraped);
    } else {
      done = message;
      clearInterval(loginTimer);
      generator.disconnect();
    }
  });
});
await Promise.all(scrapes);
driverLoop.disable();
globalThis.fetch = plainFetch;
await new Promise((resolve) => setTimeout(resolve, 1500));
await broker.close();
if (args.timeline) writeFileSync(`${args.timeline}.logins`, loginLines.join('\n') + '\n');

const whole = done!.whole;
const all = whole.all;
const minuteRows = perMinute.filter(Boolean);
const steady = minuteRows.slice(1);
const first = steady[0];
const last = steady.at(-1);
const flat = (a: number, b: number) => b <= a * 1.1 + 8;
// The heap judged is the heap kept after major GCs: the heap in use at a scrape moment is a
// sawtooth of garbage whose height V8 picks (Node 24 lets it grow much further between majors).
const memoryFlat = first && last ? flat(first.rssMb, last.rssMb) && flat(first.keptMb, last.keptMb) : false;
const failed = minuteRows.reduce((n, m) => n + m.failed + m.loginFailures, 0);
const worst = (pick: (m: Minute) => Percentiles) => ({ p99: Math.max(0, ...minuteRows.map((m) => pick(m).p99)), max: Math.max(0, ...minuteRows.map((m) => pick(m).max)) });
const loops = { generator: worst((m) => m.loop), broker: worst((m) => m.brokerLoop), driver: worst((m) => m.driverLoop) };
const tokenKinds = ['introspect', 'userinfo', 'refresh'];
const stepKinds = Object.keys(loginSteps.whole.summary().kinds);
const cell = (s: Percentiles | undefined) => (s && s.n ? `${s.p50} / ${s.p99}` : '—');
const refusals = Object.entries(done!.refusals);

const lines = [
  `## Soak (\`bench/soak.ts\`) — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
  `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}, Node ${process.version} (the broker on ${brokerNode}); load average before ${loadBefore.map((l) => l.toFixed(2)).join(' / ')}, after ${loadavg().map((l) => l.toFixed(2)).join(' / ')}. PostgreSQL + Redis, ESIA_SIGNER=engine; the broker ${Number(args['memory-limit']) ? `in a ${args['memory-limit']} MB memory cgroup, as in its pod` : 'with no memory limit'} (V8 heap limit ${broker.heapLimitMb} MB), node flags ${broker.nodeFlags.join(' ') || 'none'}.`,
  `${max === undefined ? `Rate given: ${rate}/s` : `Flat out ${Math.round(max)} answers/s`} (introspection 40%, userinfo 40%, refresh chains 20%); soaked at ${rate}/s for ${minutes} min plus one whole login a second. Load generator in its own process (bench/soak/generator.ts: nothing else on its event loop); the ESIA emulator and the login driver in a third. Latency from when each request was due. Event-loop delay: monitorEventLoopDelay at 10 ms resolution, the generator's own and the broker's (prom-client's, from /metrics), p99 / max per minute. Sent late by: how long after its due time each request left the generator (p50 / p99), the generator's own share of the latency.`,
  '',
  '| minute | answers | failed | p50 | p99 | sent late by | logins | generator loop delay | broker loop delay | generator CPU | RSS | heap in use | heap kept |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...minuteRows.map((m) => `| ${m.index + 1} | ${m.answers} | ${m.failed + m.loginFailures} | ${m.all.p50} ms | ${m.all.p99} ms | ${m.lateness.p50} / ${m.lateness.p99} ms | ${m.logins} | ${m.loop.p99} / ${m.loop.max} ms | ${m.brokerLoop.p99} / ${m.brokerLoop.max} ms | ${m.cpuPercent}% | ${m.rssMb} MB | ${m.heapMb} MB | ${m.keptMb} MB |`),
  '',
  'Per kind, p50 / p99 in ms (login steps: closed loop, timed in the login driver\'s process, not part of the p99 above):',
  '',
  `| minute | ${[...tokenKinds, 'all login steps', ...stepKinds].join(' | ')} |`,
  `|---|${[...tokenKinds, 'all', ...stepKinds].map(() => '---|').join('')}`,
  ...minuteRows.map((m) => `| ${m.index + 1} | ${tokenKinds.map((k) => cell(m.kinds[k])).join(' | ')} | ${cell(m.login)} | ${stepKinds.map((k) => cell(m.loginKinds[k])).join(' | ')} |`),
  `| whole run | ${tokenKinds.map((k) => cell(whole.kinds[k])).join(' | ')} | ${cell(loginSteps.whole.summary().all)} | ${stepKinds.map((k) => cell(loginSteps.whole.summary().kinds[k])).join(' | ')} |`,
  '',
  ...(refusals.length ? [`Refused: ${refusals.map(([k, n]) => `${k} × ${n}`).join(', ')}.`] : []),
  `Sent late by (whole run): p50 ${done!.lateness.p50} ms, p99 ${done!.lateness.p99} ms, max ${done!.lateness.max} ms. Event-loop delay, worst minute's p99 (max): generator ${loops.generator.p99} ms (${loops.generator.max} ms), broker ${loops.broker.p99} ms (${loops.broker.max} ms), login driver ${loops.driver.p99} ms (${loops.driver.max} ms).`,
  `Whole run: p50 ${all.p50} ms, p99 ${all.p99} ms (target < 25 ms: ${all.p99 < 25 ? 'met' : 'NOT met'}); ${failed} failed; ${steady.length < 2 ? 'memory not judged (it takes 3 minutes or more)' : `memory ${memoryFlat ? 'flat' : 'NOT flat'} (minute 2 → last: RSS ${first?.rssMb} → ${last?.rssMb} MB, heap kept after major GCs ${first?.keptMb} → ${last?.keptMb} MB, heap in use ${first?.heapMb} → ${last?.heapMb} MB)`}${done!.skippedRefresh ? `; ${done!.skippedRefresh} refreshes found every chain busy and introspected instead` : ''}.`,
  '',
];
console.log(lines.join('\n'));
if (args.record) appendFileSync(join(ROOT, 'bench', 'RESULTS.md'), `\n${lines.join('\n')}`);
