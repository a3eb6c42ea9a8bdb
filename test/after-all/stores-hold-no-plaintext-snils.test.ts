import t from 'tap';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { KNOWN_SNILS } from '../fixtures/personal-data.js';
import { dumpPostgres, dumpRedis, snilsForms } from '../helpers/store-dump.js';

// Runs after the whole suite (see the npm test script). Test databases are dropped at the end
// of each test file, so this sees what remains: DATABASE_URL's own database and every
// esia_test_* database still there (a file that failed to clean up, a running broker), and
// every Redis key. None may hold a test SNILS in clear, in any format; no key may live forever.
const ROOT = join(import.meta.dirname, '..', '..');

/** Every SNILS the tests and the emulator's personas use, found in their sources. */
function testSnils(): string[] {
  const found = new Set<string>([KNOWN_SNILS]);
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (name !== 'artifacts') walk(path);
      } else if (/\.(ts|json|csv)$/.test(name)) {
        for (const m of readFileSync(path, 'utf8').matchAll(/\b\d{3}-\d{3}-\d{3}[ -]\d{2}\b/g)) found.add(m[0]);
      }
    }
  };
  walk(join(ROOT, 'test'));
  walk(join(ROOT, 'config'));
  return [...found];
}

const needles = testSnils().flatMap(snilsForms);
t.ok(needles.length >= 5 * 5, `test SNILS known (${needles.length / 5}, each in 5 formats)`);

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
      // Dropped between the listing and now (a test file finishing): nothing left to check.
      t.comment(`${name}: ${(error as Error).message}`);
      continue;
    }
    rows += dump.length;
    const hits = dump.filter((r) => needles.some((n) => r.row.includes(n)));
    t.same(hits.map((r) => `${name}.${r.table}`), [], `${name}: no SNILS in ${dump.length} rows`);
  }
  t.comment(`checked ${names.length} database(s), ${rows} rows`);
});

const redisUrl = process.env['REDIS_URL'];
t.test('Redis holds no plaintext SNILS and no key without a TTL', { skip: redisUrl ? false : 'REDIS_URL not set: no shared Redis to check' }, async (t) => {
  const entries = await dumpRedis(redisUrl!, '*');
  t.comment(`checked ${entries.length} keys`);
  t.same(entries.filter((e) => needles.some((n) => e.key.includes(n) || e.value.includes(n))).map((e) => e.key), [], 'no SNILS in any key or value');
  t.same(entries.filter((e) => e.ttl === -1).map((e) => e.key), [], 'every key expires');
});
