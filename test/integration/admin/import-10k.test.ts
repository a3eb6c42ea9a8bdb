import t from 'tap';
import { newSnils } from '../../helpers/accounts.js';
import { adminClient, csvFile } from '../../helpers/admin.js';
import { startBroker } from '../../helpers/broker.js';

type Report = { summary: Record<string, number>; rows: Array<{ status: string }> };

// Acceptance: 10,000 profiles through the API in seconds, and a second identical run
// reports every row unchanged without rewriting anything. A few rows carry a temporary password
// (scrypt dominates a first import with passwords: see docs/admin.md for the throughput).
const ROWS = 10_000;
const WITH_PASSWORD = 10;
/** Generous against a loaded 2-core CI machine; locally the runs take a small fraction of it. */
const BUDGET_MS = 25_000;

t.test('10,000 profiles import in seconds and re-import as unchanged', async (t) => {
  const broker = await startBroker();
  t.teardown(() => broker.close());
  const { call } = adminClient(broker.url);
  const header = ['id', 'login', 'last_name', 'first_name', 'middle_name', 'birth_date', 'snils', 'email', 'email_confirmed', 'roles', 'school_ids', 'activated', 'region', 'password'];
  const rows = Array.from({ length: ROWS }, (_, i) => [
    `bulk-${i}`, `bulk.login.${i}`, 'Смирнова', `Имя${i}`, 'Ивановна', `${1960 + (i % 50)}-0${1 + (i % 9)}-1${i % 10}`,
    i % 7 === 0 ? '' : newSnils(), `bulk.${i}@example.ru`, i % 2 ? 'true' : 'false', i % 3 ? 'parent' : 'student teacher',
    `school-${i % 40}`, i % 5 ? 'true' : 'false', String(10 + (i % 80)), i < WITH_PASSWORD ? `Temp-Password-${i}` : '',
  ]);
  const file = csvFile(header, rows);

  const timed = async () => {
    const started = performance.now();
    const response = await call<Report>('POST', '/admin/profiles/import', { text: file });
    return { response, ms: performance.now() - started };
  };

  const first = await timed();
  t.equal(first.response.status, 200, first.response.text.slice(0, 300));
  t.same(first.response.body.summary, { total: ROWS, created: ROWS, updated: 0, unchanged: 0, rejected: 0 });
  t.ok(first.ms < BUDGET_MS, `first import took ${Math.round(first.ms)} ms`);
  t.comment(`first import: ${Math.round(first.ms)} ms`);

  const { db } = broker.deps.database;
  const count = await db.selectFrom('profiles').select((eb) => eb.fn.countAll().as('n')).where('id', 'like', 'bulk-%').executeTakeFirstOrThrow();
  t.equal(Number(count.n), ROWS);
  const stamp = await db.selectFrom('profiles').select(['updated_at', 'password_hash']).where('id', '=', 'bulk-3').executeTakeFirstOrThrow();

  const second = await timed();
  t.same(second.response.body.summary, { total: ROWS, created: 0, updated: 0, unchanged: ROWS, rejected: 0 });
  t.ok(second.ms < BUDGET_MS, `second import took ${Math.round(second.ms)} ms`);
  t.comment(`identical re-import: ${Math.round(second.ms)} ms`);
  const again = await db.selectFrom('profiles').select(['updated_at', 'password_hash']).where('id', '=', 'bulk-3').executeTakeFirstOrThrow();
  t.same(again, stamp, 'unchanged rows are not rewritten and their passwords not re-hashed');
  t.ok(await broker.deps.directory.authenticate('bulk.login.3', 'Temp-Password-3'));
});
