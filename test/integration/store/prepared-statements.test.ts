import t from 'tap';
import { sql } from 'kysely';
import { createTestDatabaseUrl } from '../../helpers/backends.js';
import { migrateToLatest, openDatabase } from '../../../src/store/postgres/database.js';
import { createPostgresDirectory } from '../../../src/store/postgres/directory-repo.js';
import { createPostgresLinkStore } from '../../../src/store/postgres/links-repo.js';
import { precompiled, preparedAs, preparedName } from '../../../src/store/postgres/prepared.js';
import { createPostgresFamilyRepo } from '../../../src/store/postgres/refresh-tokens-repo.js';

// The refresh rotation's statement is prepared by name once per connection on PostgreSQL, and
// sent unnamed behind PgBouncer (DATABASE_PGBOUNCER), where the next transaction may land on a
// server connection that never saw it prepared.
t.test('the marker', async (t) => {
  t.equal(preparedName(`${preparedAs('rotate-unused')}with x as (select 1) select 1`), 'rotate-unused');
  t.equal(preparedName('select 1 /* prepared rotate-unused */ '), undefined, 'only at the start');
  t.equal(preparedName('select 1'), undefined);
});

t.test('a precompiled query keeps its text and takes exactly its parameters', async (t) => {
  const fake = { compile: () => ({ sql: 'select $1', parameters: [''], query: {} as never, queryId: { queryId: 'q' } }) };
  const run = precompiled<unknown>('one', fake);
  const compiled = run(['x']);
  t.equal(compiled.sql, `${preparedAs('one')}select $1`);
  t.same(compiled.parameters, ['x']);
  t.throws(() => run([]), /takes 1 parameters/);
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
    // The callback's reads: a precompiled statement answers as the query it was built from.
    await db.insertInto('account_links').values([
      { esia_oid: '1', profile_id: 'p', method: 'snils', is_default: true, created_at: new Date('2026-01-01T00:00:00Z') },
    ]).execute();
    const links = createPostgresLinkStore(db);
    const directory = createPostgresDirectory(db);
    for (let i = 0; i < 2; i++) {
      t.same((await links.linksOf('1')).map((link) => [link.profileId, link.isDefault, link.createdAt.toISOString()]), [['p', true, '2026-01-01T00:00:00.000Z']]);
      t.same(await links.linksOf('2'), []);
      t.match(await links.linkedProfilesOf('1'), [{ link: { profileId: 'p', isDefault: true }, profile: { id: 'p', login: 'p', lastName: 'Л', region: '38', roles: [] } }]);
      t.same(await links.linkedProfilesOf('2'), []);
      t.match(await directory.findById('p'), { id: 'p', login: 'p', lastName: 'Л', firstName: 'И', region: '38', roles: [] });
      t.equal(await directory.findById('nobody'), null);
    }
    const prepared = await sql<{ name: string }>`select name from pg_prepared_statements order by name`.execute(db);
    t.same(prepared.rows.map((row) => row.name), pgbouncer ? [] : ['linked-profiles-of-oid', 'links-of-oid', 'profile-by-id', 'rotate-unused'], pgbouncer ? 'nothing prepared' : 'prepared once, reused');
  });
}
