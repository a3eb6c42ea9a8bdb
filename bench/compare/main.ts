import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { ROOT, startBrokerSide } from './broker-side.js';
import { startChild } from './children.js';
import { measureLoginCpu, processCpu } from './login-cpu.js';
import { get, postForm, refreshChains, type LoadOptions, type Measured } from './load.js';
import { renderMarkdown, type Row } from './report.js';

// `npm run bench:compare` (builds first): node-oidc-provider, esia-broker (`node dist/src/main.js`
// on Postgres + Redis) and a bare Fastify server, each in its own process; this process is the
// load generator (autocannon). --quick: tiny durations, a smoke run. --record: appends the run
// to bench/RESULTS.md. --cpu-prof DIR: the broker writes a V8 CPU profile there on exit.
// --signer openssl|engine (default engine): the broker's ESIA_SIGNER. --logins N: whole logins
// for the CPU-per-login figure (default 200, 20 with --quick), after --login-warm-up N (default 20):
// V8 goes on compiling the once-per-login code with TurboFan for thousands of logins, so a short
// warm-up measures a login with part of the JIT's work in it, a long one the steady state.
// --login-concurrency N (default 1): logins in flight at once, as at a morning peak. --node-arg=FLAG (repeatable): a
// flag for the broker's node, e.g. --node-arg=--perf-basic-prof for `perf record` to name JS frames.
// --broker-stdout FILE: the broker's stdout (its logs, and V8's --trace-* lines) goes there.
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    record: { type: 'boolean', default: false },
    duration: { type: 'string' },
    connections: { type: 'string', default: '32' },
    'cpu-prof': { type: 'string' },
    only: { type: 'string' },
    signer: { type: 'string', default: 'engine' },
    logins: { type: 'string' },
    'login-warm-up': { type: 'string' },
    'login-concurrency': { type: 'string', default: '1' },
    'node-arg': { type: 'string', multiple: true, default: [] },
    'broker-stdout': { type: 'string' },
  },
});
const connections = Number(args.connections);
const load: LoadOptions = { connections, duration: Number(args.duration ?? (args.quick ? 1 : 10)) };
const wanted = (name: string) => !args.only || args.only.split(',').includes(name);
const loadBefore = loadavg();

type PeerInfo = { url: string; redirectUri: string; clientId: string; clientSecret: string; codes: { code: string; verifier: string }[] };
const peer = await startChild<PeerInfo>('peer.ts', [String(connections)]);
const bare = await startChild<{ url: string }>('bare.ts');

const peerBasic = `Basic ${Buffer.from(`${peer.info.clientId}:${peer.info.clientSecret}`).toString('base64')}`;
const peerTokens = await Promise.all(
  peer.info.codes.map(async ({ code, verifier }) => {
    const body = new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: peer.info.redirectUri });
    const response = await fetch(`${peer.info.url}/token`, { method: 'POST', headers: { authorization: peerBasic, 'content-type': 'application/x-www-form-urlencoded' }, body });
    if (!response.ok) throw new Error(`peer code exchange: ${response.status} ${await response.text()}`);
    return (await response.json()) as { access_token: string; refresh_token: string };
  }),
);

// After the peer's codes are exchanged: they live 60 s, and seeding the broker side (whole
// logins through the ESIA emulator) takes longer than that on a loaded machine.
const profDir = args['cpu-prof'];
const broker = await startBrokerSide({ logins: connections, signer: args.signer, ...(args['broker-stdout'] ? { stdout: args['broker-stdout'] } : {}), nodeArgs: [...args['node-arg'], ...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [])] });

const rows: Row[] = [];
async function measure(name: string, figure: string, peerRun: (() => Promise<Measured>) | undefined, ours: (() => Promise<Measured>) | Measured, note = '', roundsVsBare?: number[]) {
  if (!wanted(name)) return;
  const peerResult = peerRun ? await withCpu(peer.child.pid!, peerRun) : undefined;
  const ourResult = typeof ours === 'function' ? await measureOurs(ours) : ours;
  rows.push({ name, figure, peer: peerResult, broker: ourResult, note, ...(roundsVsBare ? { roundsVsBare } : {}) });
  process.stderr.write(`${figure}: peer ${peerResult?.rps ?? '—'}/s (${peerResult?.cpuMsPerAnswer ?? '—'} ms CPU each), esia-broker ${ourResult.rps}/s (${ourResult.cpuMsPerAnswer ?? '—'} ms CPU each, + ${ourResult.postgresCpuMsPerAnswer ?? '—'} ms in Postgres)\n`);
}

/**
 * CPU seconds x 1000 of the Postgres server processes connected to the broker's database now (the
 * broker's pool keeps its connections through a run; a process gone meanwhile is not counted).
 */
async function postgresCpu(): Promise<number> {
  const client = new pg.Client({ connectionString: broker.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
    return rows.reduce((sum, { pid }) => {
      try {
        return sum + processCpu(pid).own * 1000;
      } catch {
        return sum; // ended in between
      }
    }, 0);
  } finally {
    await client.end();
  }
}

/** Adds the serving process's CPU per answer: steadier than answers per second while other work shares the cores. */
async function withCpu(pid: number, run: () => Promise<Measured>): Promise<Measured> {
  const before = processCpu(pid).own;
  const result = await run();
  const answers = result.rps * load.duration;
  return answers > 0 ? { ...result, cpuMsPerAnswer: Math.round(((processCpu(pid).own - before) * 1000 * 100) / answers) / 100 } : result;
}

/** The broker's answers with its CPU and the Postgres CPU it caused, per answer. */
async function measureOurs(ours: () => Promise<Measured>): Promise<Measured> {
  const postgresBefore = await postgresCpu();
  const result = await withCpu(broker.child.pid!, ours);
  const postgresMs = (await postgresCpu()) - postgresBefore;
  const answers = result.rps * load.duration;
  if (answers > 0) result.postgresCpuMsPerAnswer = Math.round((postgresMs * 100) / answers) / 100;
  return result;
}

// Discovery and JWKS are judged against the bare GET. One sample of each taken one after the
// other swings by ±15% here (a shared VM, and autocannon in this process is itself near a
// whole core at these rates), so they run in interleaved rounds (bare, discovery, JWKS) and the
// table gives the round with the median ratio, listing every round's.
const ROUNDS = args.quick ? 1 : 3;
const documents = (
  [
    ['discovery', '/.well-known/openid-configuration'],
    ['jwks', '/jwks'],
  ] as const
).filter(([name]) => wanted(name));
const rounds = new Map<string, { ratio: number; broker: Measured; bare: Measured }[]>(documents.map(([name]) => [name, []]));
for (let round = 0; documents.length > 0 && round < ROUNDS; round++) {
  const bareRound = await get(`${bare.info.url}/`, load);
  for (const [name, path] of documents) {
    const ours = await measureOurs(() => get(`${broker.url}${path}`, load));
    rounds.get(name)!.push({ ratio: ours.rps / bareRound.rps, broker: ours, bare: bareRound });
  }
}
const medianRound = (name: string) => {
  const sorted = [...(rounds.get(name) ?? [])].sort((a, b) => a.ratio - b.ratio);
  return sorted[Math.floor(sorted.length / 2)];
};
const ratios = (name: string) => (rounds.get(name) ?? []).map((r) => r.ratio);
const bareResult = medianRound('discovery')?.bare ?? medianRound('jwks')?.bare;
const discoveryRound = medianRound('discovery');
const jwksRound = medianRound('jwks');
if (discoveryRound) await measure('discovery', 'discovery', () => get(`${peer.info.url}/.well-known/openid-configuration`, load), discoveryRound.broker, '', ratios('discovery'));
if (jwksRound) await measure('jwks', 'JWKS', () => get(`${peer.info.url}/jwks`, load), jwksRound.broker, '', ratios('jwks'));
const access = broker.tokens[0]!.access_token;
await measure(
  'introspection',
  'introspection',
  () => postForm(`${peer.info.url}/token/introspection`, load, peerBasic, `token=${peerTokens[0]!.refresh_token}`),
  () => postForm(`${broker.url}/introspect`, load, broker.basic, `token=${access}`),
  'peer: its opaque refresh token (it refuses to introspect JWTs); esia-broker: a JWT access token with revocation and grant checks',
);
await measure('userinfo', 'userinfo', undefined, () => get(`${broker.url}/userinfo`, load, { authorization: `Bearer ${access}` }));
await measure(
  'refresh',
  'refresh chains (rotated token from each answer)',
  () => refreshChains(`${peer.info.url}/token`, load, peerBasic, peerTokens.map((t) => t.refresh_token)),
  () => refreshChains(`${broker.url}/token`, load, broker.basic, broker.tokens.map((t) => t.refresh_token)),
);

const loginCpu = wanted('login') ? await measureLoginCpu(broker.child.pid!, () => broker.login(), Number(args.logins ?? (args.quick ? 20 : 200)), args['login-warm-up'] !== undefined ? Number(args['login-warm-up']) : undefined, Number(args['login-concurrency'])) : undefined;
if (loginCpu) process.stderr.write(`broker CPU per login: ${loginCpu.ownMs} ms own (${loginCpu.userMs} user, ${loginCpu.systemMs} system), ${loginCpu.childrenMs} ms in spawned processes (ESIA_SIGNER=${args.signer}); by thread ${JSON.stringify(loginCpu.threadsMs)}; idle ${loginCpu.idleMsPerSecond} ms/s; ${loginCpu.loginsPerSecond} logins/s\n`);

await broker.close();
await peer.close();
await bare.close();

const run = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version },
  brokerNodeFlags: broker.nodeFlags,
  loadAverage: { before: loadBefore.map((l) => Math.round(l * 100) / 100), after: loadavg().map((l) => Math.round(l * 100) / 100) },
  load,
  bare: bareResult,
  documentRounds: ROUNDS,
  rows,
  loginCpu: loginCpu && { ...loginCpu, signer: args.signer },
};
const markdown = renderMarkdown(run);
console.log(markdown);
if (!args.quick) {
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', `compare-${run.date.replace(/[:.]/g, '-')}.json`), `${JSON.stringify(run, null, 2)}\n`);
}
if (args.record) appendFileSync(join(ROOT, 'bench', 'RESULTS.md'), `\n${markdown}`);
