import t from 'tap';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { KNOWN_SNILS } from '../fixtures/personal-data.js';
import { STORE_CHECK_DIR, dumpPostgres, dumpRedis, snilsForms, snilsIn } from '../helpers/store-dump.js';

// Runs after the whole suite (see the npm test script). No store may hold a SNILS in clear, in
// any format (11 digits, dashes, spaces), whether a test spelled it out or generated it; no
// Redis key may live forever. Test databases are dropped when their test ends, so each was
// searched just before its drop (test/helpers/backends.ts) and left its result here; what is
// still there (DATABASE_URL's own database, a test that did not clean up) is dumped now.
const ROOT = join(import.meta.dirname, '..', '..');

/** Every SNILS the tests and the emulator's personas spell out, in whatever format they use. */
function testSnils(): string[] {
  const found = new Set<string>([KNOWN_SNILS.replace(/\D/g, '')]);
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (name !== 'artifacts') walk(path);
      } else if (/\.(ts|json|csv)$/.test(name)) {
        for (const digits of snilsIn(readFileSync(path, 'utf8'))) found.add(digits);
      }
    }
  };
  walk(join(ROOT, 'test'));
  walk(join(ROOT, 'config'));
  return [...found];
}

const needles = testSnils().flatMap(snilsForms);
t.ok(needles.length >= 5 * 5, `test SNILS known (${needles.length / 5}, each in 5 formats)`);
/** A known test SNILS in any format, or any SNILS-shaped value with a valid control number. */
const holdsSnils = (text: string) => needles.some((n) => text.includes(n)) || snilsIn(text).length > 0;

t.test('test databases held no plaintext SNILS when they were dropped', async (t) => {
  const files = existsSync(STORE_CHECK_DIR) ? readdirSync(STORE_CHECK_DIR).filter((f) => f.endsWith('.ndjson')) : [];
  const records = files.flatMap((f) => readFileSync(join(STORE_CHECK_DIR, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { database: string; rows?: number; hits?: string[]; error?: string }));
  if (records.length === 0) t.comment('no test database was dropped since the last check (DATABASE_URL not set, or run alone)');
  const rows = records.reduce((n, r) => n + (r.rows ?? 0), 0);
  t.comment(`${records.length} database(s) searched before their drop, ${rows} rows; ${records.filter((r) => r.error).length} already gone`);
  t.same(records.flatMap((r) => (r.hits ?? []).map((h) => `${r.database}.${h}`)), [], 'no SNILS in any table of any test database');
  // Consumed: the next suite run starts from nothing.
  for (const f of files) rmSync(join(STORE_CHECK_DIR, f), { force: true });
});

const databaseUrl = process.env['DATABASE_URL'];
t.test('Postgres holds no plaintext SNILS', { skip: databaseUrl ? false : 'DATABASE_URL not set: no shared database to check' }, async (t) => {
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  const names = (await admin.query<{ datname: string }>(`select datname from pg_database where datname = current_database() or datname like 'esia\\_test\\_%'`)).rows.map((r) => r.datname);
  await admin.end();
  let rows = 0;
  for (const name of names) {
    const url = new URL(databaseUrl!);
    url.pathname = `/${name}`;
    let dump;
    try {
      dump = await dumpPostgres(url.toString());
    } catch (error) {
      // Dropped between the listing and now (a test file finishing): searched before its drop.
      t.comment(`${name}: ${(error as Error).message}`);
      continue;
    }
    rows += dump.length;
    const hits = dump.filter((r) => holdsSnils(r.row));
    t.same(hits.map((r) => `${name}.${r.table}`), [], `${name}: no SNILS in ${dump.length} rows`);
  }
  t.comment(`checked ${names.length} database(s), ${rows} rows`);
});

const redisUrl = process.env['REDIS_URL'];
t.test('Redis holds no plaintext SNILS and no key without a TTL', { skip: redisUrl ? false : 'REDIS_URL not set: no shared Redis to check' }, async (t) => {
  // Every key, the tests' own prefixes (test:<pid>_<random>:) included: those are left to expire.
  const entries = await dumpRedis(redisUrl!, '*');
  t.comment(`checked ${entries.length} keys (${entries.filter((e) => e.key.startsWith('test:')).length} under test prefixes)`);
  t.same(entries.filter((e) => holdsSnils(e.key) || holdsSnils(e.value)).map((e) => e.key), [], 'no SNILS in any key or value');
  t.same(entries.filter((e) => e.ttl === -1).map((e) => e.key), [], 'every key expires');
});
