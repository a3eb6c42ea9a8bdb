import t from 'tap';
import { sql } from 'kysely';
import { createTestDatabaseUrl } from '../../helpers/backends.js';
import { migrateToLatest, openDatabase } from '../../../src/store/postgres/database.js';
import { preparedAs, preparedName } from '../../../src/store/postgres/prepared.js';
import { createPostgresFamilyRepo } from '../../../src/store/postgres/refresh-tokens-repo.js';

// The refresh rotation's statement is prepared by name once per connection on PostgreSQL, and
// sent unnamed behind PgBouncer (DATABASE_PGBOUNCER), where the next transaction may land on a
// server connection that never saw it prepared.
t.test('the marker', async (t) => {
  t.equal(preparedName(`${preparedAs('rotate-unused')}with x as (select 1) select 1`), 'rotate-unused');
  t.equal(preparedName('select 1 /* prepared rotate-unused */ '), undefined, 'only at the start');
  t.equal(preparedName('select 1'), undefined);
});

const skip = process.env['DATABASE_URL'] ? false : 'needs DATABASE_URL';
for (const pgbouncer of [false, true]) {
  t.test(`PostgreSQL, DATABASE_PGBOUNCER=${pgbouncer}`, { skip }, async (t) => {
    const test = await createTestDatabaseUrl();
    t.teardown(() => test.drop());
    // One connection: the session that prepared the statement is the one asked about it.
    const handle = await openDatabase({ url: test.url, dataDir: '', poolSize: 1, pgbouncer });
    t.teardown(() => handle.close());
    const { db } = handle;
    await migrateToLatest(db);
    await db.insertInto('clients').values({ client_id: 'c', name: 'c', auth_method: 'none', redirect_uris: '[]', allowed_scopes: '["openid"]' }).execute();
    await db.insertInto('profiles').values({ id: 'p', login: 'p', last_name: 'Л', first_name: 'И', region: '38' }).execute();
    const repo = createPostgresFamilyRepo(db);
    const expiresAt = new Date(Date.now() + 3600_000);
    await repo.createFamily({ id: 'f', clientId: 'c', profileId: 'p', esiaOid: '1', level: 'standard', authTime: 1_700_000_000, scope: ['openid'], resource: [], sessionSid: undefined, expiresAt });
    await repo.addToken('f', 'h0', expiresAt);
    for (let i = 0; i < 3; i++) t.equal(await repo.rotateUnused(`h${i}`, `h${i + 1}`, 'f', new Date()), true, `rotation ${i + 1}`);
    const prepared = await sql<{ name: string }>`select name from pg_prepared_statements`.execute(db);
    t.same(prepared.rows.map((row) => row.name), pgbouncer ? [] : ['rotate-unused'], pgbouncer ? 'nothing prepared' : 'prepared once, reused');
  });
}
