import t from 'tap';
import { sql } from 'kysely';
import { databaseBackends } from '../../helpers/backends.js';
import { migrateToLatest } from '../../../src/store/postgres/database.js';

// The same kysely code and migrations on embedded PGlite and real PostgreSQL.
for (const backend of databaseBackends()) {
  t.test(`database contract: ${backend.name}`, async (t) => {
    const handle = await backend.open();
    t.teardown(() => handle.close());
    const { db } = handle;

    t.test('migrations are applied and idempotent', async (t) => {
      t.same(await migrateToLatest(db), [], 'nothing left to apply');
      const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public' order by table_name`.execute(db);
      const names = tables.rows.map((r) => r.table_name);
      for (const table of ['account_links', 'audit_events', 'clients', 'profiles', 'signing_keys']) t.ok(names.includes(table), `${table} exists`);
    });

    t.test('a transaction rolls back whole', async (t) => {
      await t.rejects(
        db.transaction().execute(async (trx) => {
          await trx.insertInto('profiles').values(profile('p-1', 'login-1')).execute();
          await trx.insertInto('audit_events').values({ actor: 'test', action: 'link', outcome: 'ok', target: 'p-1' }).execute();
          // Violates the unique login: the whole transaction must go.
          await trx.insertInto('profiles').values(profile('p-2', 'login-1')).execute();
        }),
      );
      const profiles = await db.selectFrom('profiles').select('id').execute();
      const audit = await db.selectFrom('audit_events').select('id').execute();
      t.same(profiles, [], 'no profile half-written');
      t.same(audit, [], 'no audit row half-written');
    });

    t.test('a committed transaction keeps everything', async (t) => {
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('profiles').values(profile('p-3', 'login-3')).execute();
        await trx.insertInto('account_links').values({ esia_oid: '1000', profile_id: 'p-3', method: 'auto' }).execute();
      });
      const row = await db.selectFrom('profiles').selectAll().where('id', '=', 'p-3').executeTakeFirstOrThrow();
      t.equal(row.birth_date, '2010-05-26', 'dates come back as calendar days');
      t.same(row.roles, ['student'], 'jsonb round-trips');
      const link = await db.selectFrom('account_links').selectAll().where('profile_id', '=', 'p-3').executeTakeFirstOrThrow();
      t.equal(link.esia_oid, '1000');
    });

    t.test('concurrent transactions do not interleave on one connection', async (t) => {
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          db.transaction().execute(async (trx) => {
            await trx.insertInto('audit_events').values({ actor: 'test', action: 'concurrent', outcome: 'ok', target: String(i) }).execute();
            if (i % 2 === 1) throw new Error('roll back odd ones');
          }).catch(() => undefined),
        ),
      );
      const rows = await db.selectFrom('audit_events').select('target').where('action', '=', 'concurrent').execute();
      t.same(rows.map((r) => r.target).sort(), ['0', '2', '4', '6', '8']);
    });
  });
}

function profile(id: string, login: string) {
  return {
    id,
    login,
    last_name: 'Фамилия',
    first_name: 'Имя',
    birth_date: '2010-05-26',
    roles: JSON.stringify(['student']),
    school_ids: JSON.stringify(['school-1']),
    region: '38',
  };
}
