import { writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { send } from '../compare/load.js';
import { KindLatencies, percentiles, type Percentiles } from './latency.js';

// The soak's load generator, forked by bench/soak.ts so that nothing but sending and timing runs
// on its event loop (the ESIA emulator and the login-a-second driver live in the parent). It
// gets its orders in one IPC message and answers with one small message a minute: per-kind
// percentiles, its own event-loop delay and CPU, never raw samples.

export type Kind = 'introspect' | 'userinfo' | 'refresh';

export interface Orders {
  url: string;
  basic: string;
  tokens: { access_token: string; refresh_token: string }[];
  /** Requests a second; when absent, half of what a 10-second closed-loop probe gets answered. */
  rate?: number;
  minutes: number;
  /** Where to write the timeline: one line per 100 ms of due time (answers, slowest, over 25 ms), to line stalls up with GC or logins. */
  timeline?: string;
}

export interface MinuteReport {
  type: 'minute';
  /** 0-based, by when each request was due. */
  index: number;
  answers: number;
  failed: number;
  all: Percentiles;
  kinds: Record<string, Percentiles>;
  /** How late each request left this process after it was due (part of its latency, the generator's share). */
  lateness: Percentiles;
  /** This process's event-loop delay over the minute (monitorEventLoopDelay, 10 ms resolution). */
  loop: Percentiles;
  /** This process's CPU over the minute, % of one core. */
  cpuPercent: number;
}

export type Report =
  | { type: 'probe'; max: number; refusals: Record<string, number> }
  | { type: 'soaking'; rate: number }
  | MinuteReport
  | { type: 'done'; whole: { all: Percentiles; kinds: Record<string, Percentiles> }; lateness: Percentiles; refusals: Record<string, number>; skippedRefresh: number };

const report = (message: Report) => process.send!(message);

const orders = await new Promise<Orders>((resolve) => process.once('message', (message) => resolve(message as Orders)));
const CHAINS = orders.tokens.length;
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const call = (method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: string) => send(agent, `${orders.url}${path}`, method, headers, body);

// The mix a diary backend sends: introspection and userinfo for its API calls, refresh as each
// access token runs out (chains: the rotated token from each answer, one request in flight per chain).
// The newest access token from the chains' answers: a fixed one would expire mid-soak.
let access = orders.tokens[0]!.access_token;
const chains = orders.tokens.map((t) => ({ token: t.refresh_token, busy: false }));
const MIX: Kind[] = ['introspect', 'introspect', 'introspect', 'introspect', 'userinfo', 'userinfo', 'userinfo', 'userinfo', 'refresh', 'refresh'];
let skippedRefresh = 0;
const refusals = new Map<string, number>();
const refused = (kind: Kind, status: number) => {
  refusals.set(`${kind} ${status}`, (refusals.get(`${kind} ${status}`) ?? 0) + 1);
  return false;
};

/** One request of `kind`; which kind it really was (a refresh with every chain busy introspects) and whether it got a 200. */
async function one(kind: Kind): Promise<{ kind: Kind; ok: boolean }> {
  const introspect = async () => {
    const { status } = await call('POST', '/introspect', { authorization: orders.basic }, `token=${access}`);
    return { kind: 'introspect' as const, ok: status === 200 || refused('introspect', status) };
  };
  if (kind === 'introspect') return introspect();
  if (kind === 'userinfo') {
    const { status } = await call('GET', '/userinfo', { authorization: `Bearer ${access}` });
    return { kind, ok: status === 200 || refused('userinfo', status) };
  }
  const chain = chains.find((c) => !c.busy);
  if (!chain) {
    skippedRefresh++;
    return introspect();
  }
  chain.busy = true;
  try {
    const answer = await call('POST', '/token', { authorization: orders.basic }, `grant_type=refresh_token&refresh_token=${encodeURIComponent(chain.token)}`);
    if (answer.status !== 200) return { kind, ok: refused('refresh', answer.status) };
    const tokens = JSON.parse(answer.body) as { refresh_token: string; access_token: string };
    chain.token = tokens.refresh_token;
    access = tokens.access_token;
    return { kind, ok: true };
  } finally {
    chain.busy = false;
  }
}

/** Closed loop, one request in flight per chain, for `seconds`: how many answers a second the broker gives flat out. */
async function maximum(seconds: number): Promise<number> {
  let done = 0;
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: CHAINS }, async (_, lane) => {
      for (let i = lane; performance.now() < deadline; i++) if ((await one(MIX[i % MIX.length]!)).ok) done++;
    }),
  );
  return done / seconds;
}

let rate = orders.rate;
if (rate === undefined) {
  const max = await maximum(10);
  report({ type: 'probe', max, refusals: Object.fromEntries(refusals) });
  rate = Math.round(max / 2);
}

interface Minute {
  index: number;
  answers: number;
  failed: number;
  latencies: KindLatencies;
  lateness: KindLatencies;
  /** Requests due in this minute still waiting for their answer. */
  pending: number;
  closed: boolean;
  reported: boolean;
  loop?: Percentiles;
  cpuPercent?: number;
}
/** Per 100 ms of due time: [answers, slowest ms, answers over 25 ms]; only when a timeline file is asked for. */
const slots: Array<[number, number, number]> = [];
function onTimeline(dueAt: number, latency: number) {
  const slot = (slots[Math.floor((dueAt - started) / 100)] ??= [0, 0, 0]);
  slot[0]++;
  if (latency > slot[1]) slot[1] = latency;
  if (latency > 25) slot[2]++;
}
const whole = new KindLatencies();
const wholeLateness = new KindLatencies();
const minutes: Minute[] = [];
const minuteAt = (index: number) => (minutes[index] ??= { index, answers: 0, failed: 0, latencies: new KindLatencies(), lateness: new KindLatencies(), pending: 0, closed: false, reported: false });
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
let cpu = process.cpuUsage();
let cpuAt = performance.now();

/** A minute is reported once its clock has run out and every request due in it has its answer. */
function reportIfComplete(minute: Minute) {
  if (!minute.closed || minute.pending > 0 || minute.reported) return;
  minute.reported = true;
  report({ type: 'minute', index: minute.index, answers: minute.answers, failed: minute.failed, ...minute.latencies.summary(), lateness: minute.lateness.summary().all, loop: minute.loop!, cpuPercent: minute.cpuPercent! });
}

function close(minute: Minute) {
  minute.loop = percentiles(loop, 1e6);
  loop.reset();
  const used = process.cpuUsage(cpu);
  const now = performance.now();
  minute.cpuPercent = Math.round(((used.user + used.system) / 1000 / (now - cpuAt)) * 100);
  cpu = process.cpuUsage();
  cpuAt = now;
  minute.closed = true;
  reportIfComplete(minute);
}

report({ type: 'soaking', rate });
const started = performance.now();
const end = started + orders.minutes * 60_000;
let sent = 0;
let closedMinutes = 0;
const inFlight = new Set<Promise<void>>();
// 1 ms, not 5: a request due just after a tick waited for the next one, and each tick sent a burst.
const TICK_MS = 1;

// Open loop: every tick sends what is due by then; each request's latency runs from when it was due.
await new Promise<void>((resolve) => {
  const timer = setInterval(() => {
    const now = performance.now();
    const due = Math.floor(((Math.min(now, end) - started) / 1000) * rate);
    for (; sent < due; sent++) {
      const dueAt = started + (sent / rate) * 1000;
      const minute = minuteAt(Math.floor((dueAt - started) / 60_000));
      minute.pending++;
      minute.lateness.record('sent', now - dueAt);
      wholeLateness.record('sent', now - dueAt);
      const p = one(MIX[sent % MIX.length]!)
        .then(({ kind, ok }) => {
          minute.answers++;
          if (!ok) return void minute.failed++;
          const latency = performance.now() - dueAt;
          minute.latencies.record(kind, latency);
          whole.record(kind, latency);
          if (orders.timeline) onTimeline(dueAt, latency);
        })
        .catch(() => {
          minute.failed++;
        })
        .finally(() => {
          inFlight.delete(p);
          minute.pending--;
          reportIfComplete(minute);
        });
      inFlight.add(p);
    }
    for (; closedMinutes < orders.minutes && now >= started + (closedMinutes + 1) * 60_000; closedMinutes++) close(minuteAt(closedMinutes));
    if (now >= end) {
      clearInterval(timer);
      resolve();
    }
  }, TICK_MS);
});
// A run of a fraction of a minute (a smoke run) closes its last minute here.
for (; closedMinutes < minutes.length; closedMinutes++) close(minuteAt(closedMinutes));
await Promise.all(inFlight);
if (orders.timeline) {
  // Wall-clock milliseconds, so the lines meet the broker's and the login driver's own clocks.
  const at = (i: number) => Math.round(performance.timeOrigin + started + i * 100);
  writeFileSync(orders.timeline, slots.map((s, i) => `${at(i)} ${s[0]} ${s[1].toFixed(1)} ${s[2]}`).join('\n') + '\n');
}
loop.disable();
agent.destroy();
// The parent disconnects once it has this: the channel then closes and this process exits.
report({ type: 'done', whole: whole.summary(), lateness: wholeLateness.summary().all, refusals: Object.fromEntries(refusals), skippedRefresh });
