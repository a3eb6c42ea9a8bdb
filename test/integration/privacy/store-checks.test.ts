import t from 'tap';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { newSnils } from '../../helpers/accounts.js';
import { createTestDatabaseUrl } from '../../helpers/backends.js';
import { STORE_CHECK_DIR, snilsForms, snilsIn, snilsRowsIn } from '../../helpers/store-dump.js';
import { migrateToLatest, openDatabase } from '../../../src/store/postgres/database.js';

// The whole-store check (test/after-all/stores-hold-no-plaintext-snils.test.ts) is only as good
// as its search: here it is shown to find a SNILS in every format and to leave alone what only
// looks like one.

t.test('snilsIn finds a SNILS in any format, known or generated, and nothing else', async (t) => {
  for (const form of snilsForms('112-233-445 95')) t.same(snilsIn(`{"login":"${form}"}`), ['11223344595'], `found: ${form}`);
  const generated = newSnils();
  t.same(snilsIn(`x ${generated} y`), [generated.replace(/\D/g, '')], 'a generated one');
  t.same(snilsIn('snils=11223344595&'), ['11223344595'], 'inside a query string');
  const hash = createHash('sha256').update('x').digest('hex');
  for (const [what, text] of [
    ['a wrong control number', '112-233-445 96'],
    ['a 13-digit timestamp', '"at":1764531234595'],
    ['digits inside a hex hash', `a11223344595b${hash}`],
    ['the all-zero placeholder', '00000000000'],
    ['a 10-digit ESIA oid', '1000000101'],
  ] as const) {
    t.same(snilsIn(text), [], `not a SNILS: ${what}`);
  }
});

t.test('a test database is searched before its drop', { skip: process.env['DATABASE_URL'] ? false : 'DATABASE_URL not set' }, async (t) => {
  const database = await createTestDatabaseUrl();
  const name = new URL(database.url).pathname.slice(1);
  const handle = await openDatabase({ url: database.url, dataDir: '', poolSize: 2 });
  await migrateToLatest(handle.db);
  const snils = newSnils();
  const digits = snils.replace(/\D/g, '');
  const spaced = `${digits.slice(0, 3)} ${digits.slice(3, 6)} ${digits.slice(6, 9)} ${digits.slice(9)}`;
  await handle.db.insertInto('profiles').values({ id: 'p1', login: digits, password_hash: null, last_name: spaced, first_name: 'B', middle_name: null, birth_date: null, snils_hmac: null, snils_last4: null, email: null, region: '77' }).execute();
  await handle.db.insertInto('audit_events').values({ actor: 'x', action: 'y', outcome: 'ok', details: JSON.stringify({ note: snils }) }).execute();

  const planted = await snilsRowsIn(database.url);
  t.same(planted.hits.sort(), [`audit_events: ${digits}`, `profiles: ${digits}`, `profiles: ${digits}`], 'bare, spaced and dashed, in a column and in JSON');

  // Cleaned before the drop, or the after-all check would (rightly) fail the suite.
  await handle.db.deleteFrom('profiles').execute();
  await handle.db.deleteFrom('audit_events').execute();
  await handle.close();
  await database.drop();
  const records = existsSync(STORE_CHECK_DIR)
    ? readdirSync(STORE_CHECK_DIR).flatMap((f) => readFileSync(join(STORE_CHECK_DIR, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { database: string; hits?: string[]; rows?: number }))
    : [];
  const mine = records.find((r) => r.database === name);
  t.ok(mine, 'the drop left its search result for the after-all check');
  t.same(mine?.hits, [], 'clean at the drop');
  t.ok((mine?.rows ?? 0) > 0, 'the tables were read (the migration rows at least)');
});
