import fc from 'fast-check';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { FastifyInstance } from 'fastify';
import type { Test } from 'tap';

/**
 * Property-based fuzzing of the HTTP surface: generated requests through `app.inject()` against
 * one real broker, asserting that nothing answers >= 500, nothing rejects unhandled and memory
 * stays roughly flat. FUZZ_RUNS is the number of requests across the whole fuzz suite (each file
 * takes its share); FUZZ_SEED and FUZZ_PATH (with FUZZ_PHASE=warm-up for a warm-up failure)
 * replay a failure fast-check reported.
 */
export const FUZZ_RUNS = positive(process.env['FUZZ_RUNS'], 20_000);
const BASE_SEED = positive(process.env['FUZZ_SEED'], Date.now() % 2_000_000_000);
/**
 * Wall-clock cap per file, so an overloaded machine shortens the default run instead of hitting
 * tap's 300 s file timeout (a flaky test is a bug): 200 s unless FUZZ_RUNS is given, when the
 * count is what was asked for (FUZZ_MAX_SECONDS overrides either way). A quarter for the warm-up.
 */
const MAX_SECONDS = positive(process.env['FUZZ_MAX_SECONDS'], process.env['FUZZ_RUNS'] ? Number.MAX_SAFE_INTEGER / 1000 : 200);

function positive(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
}

type Pair = [string, string];

/** Values that broke, or could break, an edge somewhere: NUL, bidi, lone surrogates, bad escapes, numbers and dates out of range. */
const SPECIALS = [
  '', ' ', '\u0000', 'a\u0000b', '%00', '\u0001', '\u001b[31m', '\u007f', '\u0085', '\t', '\r\n', '\n=1+1', '\u202E', 'Ив\u202Eан', '\u2066x\u2069',
  '\uD800', '\uDFFF', 'a\uD800b', '\uFEFF', '\u200B', '\uFFFF', '%', '%zz', '%E0%A4%A', '%ED%A0%80', '%C0%80', '+', '&', '=', '#', '?', '/', '\\', '..',
  '../../etc/passwd', "' OR '1'='1", '"; DROP TABLE profiles;--', '${7*7}', '<script>alert(1)</script>', '__proto__', 'constructor', 'prototype',
  'toString', 'hasOwnProperty', 'null', 'undefined', 'true', 'false', '[]', '{}', 'NaN', 'Infinity', '-1', '0', '-0', '1e400', '0x10', '1.5', '9'.repeat(19),
  '9'.repeat(40), '2024-13-45', '2023-02-29', '2024-02-29', '0000-00-00', '9999-12-31', '29.02.2009', '14.03.2009', 'openid', 'openid profile email diary offline_access',
  'code', 'S256', 'plain', 'none', 'login', 'consent', 'authorization_code', 'refresh_token', 'client_credentials', 'access_token',
  'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', 'a.b.c', 'Тест;=1+1', '=HYPERLINK("http://x")',
  'https://evil.example/cb', 'javascript:alert(1)', 'http://localhost:3001/callback', 'http://localhost:3001/', '38', '77', '5', '00', '99',
  'teacher', 'parent', 'student', 'logins', 'completeness', 'outcomes', 'csv', 'json', 'true', '1', '112-233-445 95', 'Иванов Иван', 'ученик',
];

const oddUnits = fc.constantFrom('\u0000', '\u0001', '\u001f', '\u007f', '\u0085', '\u009f', '\u202A', '\u202E', '\u2066', '\u2069', '\uD800', '\uDBFF', '\uDC00', '\uDFFF', '\uFEFF', 'я', '𝔘', 'a', ';', ',', '"', '\n');

/** A parameter value: mostly odd, sometimes known-good (`known`: ids that exist), rarely huge. */
export function nasty(known: readonly string[] = []): fc.Arbitrary<string> {
  const good = fc.constantFrom(...known, 'x');
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...SPECIALS) },
    { weight: 3, arbitrary: good },
    { weight: 2, arbitrary: fc.tuple(good, fc.constantFrom('\u0000', '\u202E', '\uD800', '%00', '\n', ' ', ';=1+1'), fc.boolean()).map(([k, odd, before]) => (before ? odd + k : k + odd)) },
    { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 30 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 15 }) },
    { weight: 1, arbitrary: fc.string({ unit: oddUnits, maxLength: 12 }) },
    // Huge: past every max() and, at 70,000, past the 64 KiB body limit. Rare: parsing them is most of the cost.
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(300, 2_100, 9_000, 70_000), fc.constantFrom('x', 'я', '\u0000', '%', '9')).map(([n, c]) => c.repeat(c === 'я' ? n / 6 : n)) },
  );
}

/** Parameters: a well-formed base (so generated requests get past the first check) with some values replaced, dropped or repeated, or pure noise. */
export function params(names: readonly string[], base: Record<string, string> = {}, known: readonly string[] = []): fc.Arbitrary<Pair[]> {
  const name = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...names) }, { weight: 1, arbitrary: nasty() });
  const noise = fc.array(fc.tuple(name, nasty(known)), { maxLength: 8 });
  const mutated = fc
    .tuple(fc.subarray(Object.entries(base)), fc.array(fc.tuple(name, nasty(known)), { minLength: 1, maxLength: 3 }), fc.boolean())
    .map(([kept, changes, repeat]) => {
      const pairs: Pair[] = kept.filter(([k]) => repeat || !changes.some(([c]) => c === k));
      return [...pairs, ...changes];
    });
  return Object.keys(base).length > 0 ? fc.oneof({ weight: 3, arbitrary: mutated }, { weight: 1, arbitrary: noise }) : noise;
}

/** Percent-encoding that does not throw on lone surrogates (encodeURIComponent does): their UTF-8 replacement bytes. */
export function pct(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return [...Buffer.from(value, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
  }
}

/** Raw (not percent-encoded) values break the URL itself: stray %, spaces, #, non-ASCII. */
export function queryOf(pairs: Pair[], raw: boolean): string {
  const text = pairs.map(([k, v]) => (raw ? `${k}=${v}` : `${pct(k)}=${pct(v)}`)).join('&');
  return text ? `?${text}` : '';
}

const CONTENT_TYPES = [
  'text/plain', 'application/xml', 'multipart/form-data', 'multipart/form-data; boundary=x', 'application/json; charset=latin1',
  'application/x-www-form-urlencoded; charset=utf-16', 'text/csv', 'text/csv; charset=windows-1251', 'garbage', 'application/json, text/plain',
  '*/*', 'application/octet-stream', 'application/jwt', 'application/x-www-form-urlencoded;;;', 'application/json; charset=utf-8',
];
const MALFORMED_JSON = ['{"a":', '[', 'nul', '\u0000', '{"__proto__": {"polluted": 1}}', '{"constructor": {"prototype": {"polluted": 1}}}', '"just a string"', '1e400', '{"a": 1, "a": 2}', '[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]', '{"\\ud800": "\\udfff"}'];

/** JSON values of the wrong kind for a field that wants a string. */
const wrongType = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }),
);

/** A request body: a form, JSON (with wrong types), malformed JSON, nothing, or the wrong content type. */
export function body(pairs: fc.Arbitrary<Pair[]>): fc.Arbitrary<{ contentType: string | undefined; payload: string | Buffer | undefined }> {
  return fc.oneof(
    { weight: 6, arbitrary: pairs.map((p) => ({ contentType: 'application/x-www-form-urlencoded', payload: queryOf(p, false).slice(1) })) },
    { weight: 1, arbitrary: pairs.map((p) => ({ contentType: 'application/x-www-form-urlencoded', payload: queryOf(p, true).slice(1) })) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(pairs, fc.array(fc.tuple(fc.nat(), wrongType), { maxLength: 3 }))
        .map(([p, wrong]) => {
          const object: Record<string, unknown> = Object.fromEntries(p);
          const keys = Object.keys(object);
          for (const [i, value] of wrong) if (keys.length > 0) object[keys[i % keys.length]!] = value;
          return { contentType: 'application/json', payload: JSON.stringify(object) };
        }),
    },
    { weight: 1, arbitrary: fc.constantFrom(...MALFORMED_JSON).map((payload) => ({ contentType: 'application/json', payload })) },
    { weight: 1, arbitrary: fc.constantFrom(undefined, 'application/json', 'application/x-www-form-urlencoded', 'text/csv').map((contentType) => ({ contentType, payload: undefined })) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...CONTENT_TYPES), pairs).map(([contentType, p]) => ({ contentType, payload: queryOf(p, false).slice(1) })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ contentType: 'application/x-www-form-urlencoded', payload: Buffer.from(bytes) })) },
  );
}

/** Header values a real client can send (no CR/LF/NUL: HTTP itself refuses them); any byte 0x20–0xFF. */
export const headerText = nasty().map((s) => [...s].map((c) => (c.charCodeAt(0) >= 0x20 && c.charCodeAt(0) <= 0xff && c.charCodeAt(0) !== 0x7f ? c : '')).join('').slice(0, 4000));

/** Authorization headers: Basic built from odd ids and secrets, Bearer noise, broken schemes; `good` ones given by the test. */
export function authorization(good: readonly string[] = []): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    ...(good.length ? [{ weight: 3, arbitrary: fc.constantFrom(...good) }] : []),
    { weight: 2, arbitrary: fc.tuple(nasty(), nasty(), fc.boolean()).map(([id, secret, encode]) => `Basic ${Buffer.from(encode ? `${pct(id)}:${pct(secret)}` : `${id}:${secret}`).toString('base64')}`) },
    { weight: 1, arbitrary: headerText.map((s) => `Bearer ${s}`) },
    { weight: 1, arbitrary: fc.constantFrom('Basic', 'Basic !!!', 'Basic Og==', 'Bearer', 'Bearer ', 'DPoP x', 'basic YTpi', 'Basic ' + 'QQ=='.repeat(400)) },
  );
}

const IN_FLIGHT = 8;

export interface FuzzStats {
  runs: number;
  statuses: Map<number, number>;
  ms: number;
}

/**
 * Runs `runs` generated requests. Fails on the first answer >= 500 (fast-check shrinks it and
 * prints seed and path), a request that never answers, or an unhandled rejection anywhere.
 */
export async function fuzz(t: Test, app: FastifyInstance, name: string, request: fc.Arbitrary<FuzzRequest>, runs: number, options: { warmUp?: boolean } = {}): Promise<FuzzStats> {
  // One base seed per process (FUZZ_SEED replays it); the warm-up and the measured run draw from
  // base and base + 1, so they generate different requests. FUZZ_PATH replays one failure of the
  // measured run, or of the warm-up with FUZZ_PHASE=warm-up.
  const phase = options.warmUp ? 'warm-up' : 'main';
  const seed = BASE_SEED + (options.warmUp ? 0 : 1);
  const path = process.env['FUZZ_PATH'] && (process.env['FUZZ_PHASE'] ?? 'main') === phase ? process.env['FUZZ_PATH'] : undefined;
  t.comment(`${name}: ${runs} requests, seed ${seed}${path ? `, path ${path}` : ''}; a failure replays with FUZZ_SEED=${BASE_SEED} FUZZ_PATH=<its path>${options.warmUp ? ' FUZZ_PHASE=warm-up' : ''}`);
  const statuses = new Map<number, number>();
  const started = Date.now();
  // A few requests in flight at once, as a server sees them: the database and Redis round trips
  // overlap, and concurrent use of the same state is exercised too.
  const property = fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: IN_FLIGHT }), async (batch) => {
    const responses = await Promise.all(batch.map((req) => answer(app, req)));
    responses.forEach((response, i) => {
      statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
      const req = batch[i]!;
      if (response.statusCode >= 500) throw new Error(`${req.method} ${req.url.slice(0, 300)} answered ${response.statusCode}: ${response.body.slice(0, 300)}`);
    });
  });
  const timeLimit = Math.round(MAX_SECONDS * 1000 * (options.warmUp ? 0.25 : 0.75));
  await fc.assert(property, { numRuns: Math.ceil(runs / ((IN_FLIGHT + 1) / 2)), seed, ...(path ? { path } : {}), endOnFailure: false, interruptAfterTimeLimit: timeLimit, markInterruptAsFailure: false });
  const total = [...statuses.values()].reduce((a, b) => a + b, 0);
  if (Date.now() - started >= timeLimit) t.comment(`${name}: stopped at the time limit (${Math.round(timeLimit / 1000)} s) after ${total} requests`);
  return { runs: total, statuses, ms: Date.now() - started };
}

async function answer(app: FastifyInstance, req: FuzzRequest) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${req.method} ${req.url.slice(0, 300)}: no answer in 20 s`)), 20_000);
  });
  try {
    return await Promise.race([app.inject({ method: req.method as 'GET', url: req.url, headers: req.headers, ...(req.payload !== undefined ? { payload: req.payload } : {}) }), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Fails the test on any unhandled rejection while the fuzz runs; returns the check to call at the end. */
export function watchRejections(t: Test): () => void {
  const seen: unknown[] = [];
  const onRejection = (reason: unknown) => seen.push(reason);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('unhandledRejection', onRejection);
    t.same(seen.map(String), [], 'no unhandled rejection');
  };
}

/**
 * One file's share of the fuzz: a quarter warms up (JIT, pools, caches, the allocator's working
 * set), then memory is measured over the other three quarters, where a leak would keep growing.
 * Fails on any answer >= 500, any unhandled rejection, RSS growth >= 150 MB or heap >= 50 MB.
 */
export async function fuzzSurface(t: Test, app: FastifyInstance, name: string, request: fc.Arbitrary<FuzzRequest>, runs: number): Promise<void> {
  const checkRejections = watchRejections(t);
  await fuzz(t, app, `${name}, warm-up`, request, Math.ceil(runs / 4), { warmUp: true });
  const before = settledMemory();
  const stats = await fuzz(t, app, name, request, runs - Math.ceil(runs / 4));
  const after = settledMemory();
  t.comment(summary(stats, before, after));
  t.ok(after.rss - before.rss < 150 * 1024 * 1024, `RSS grew by ${mb(after.rss - before.rss)} MB (< 150)`);
  t.ok(after.heap - before.heap < 50 * 1024 * 1024, `heap grew by ${mb(after.heap - before.heap)} MB (< 50)`);
  t.ok([...stats.statuses.keys()].every((status) => status < 500), 'no answer >= 500');
  checkRejections();
}

export function summary(stats: FuzzStats, before: { rss: number; heap: number }, after: { rss: number; heap: number }): string {
  const byStatus = [...stats.statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ');
  return `${stats.runs} requests in ${(stats.ms / 1000).toFixed(1)} s (${Math.round((stats.runs * 1000) / Math.max(stats.ms, 1))}/s); RSS ${mb(before.rss)} → ${mb(after.rss)} MB, heap ${mb(before.heap)} → ${mb(after.heap)} MB; statuses ${byStatus}`;
}

export const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

/** RSS after a full garbage collection: what is really held, not what the heap has not given back yet. */
export function settledMemory(): { rss: number; heap: number } {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heap: heapUsed };
}
