import t from 'tap';
import * as oidc from 'openid-client';
import pg from 'pg';
import { migrateToLatest, openDatabase } from '../../../src/store/postgres/database.js';
import { createTestDatabaseUrl } from '../../helpers/backends.js';
import { flowLogin, startFlowEnvironment } from '../../helpers/login-flow.js';
import { pgbouncerBin, startPgbouncer } from '../../helpers/pgbouncer.js';
import { freePort } from '../../helpers/private-redis.js';

// The broker behind PgBouncer in transaction mode: every statement outside a transaction may
// run on another server connection, so nothing may rely on session state (advisory locks held
// across statements, named prepared statements, SET outside a transaction). Two server
// connections for the whole test, the broker's pool larger than that.

const base = process.env['DATABASE_URL'];
const bin = pgbouncerBin();
const skip = !base ? 'needs DATABASE_URL: PgBouncer sits in front of a real PostgreSQL' : !bin ? 'pgbouncer is not installed (Debian package pgbouncer; .ci/run installs it)' : false;

if (skip) {
  t.test('PgBouncer in transaction mode', { skip }, () => undefined);
} else {
  const target = new URL(base!);
  const bouncer = await startPgbouncer(bin!, await freePort(), { host: target.hostname, port: Number(target.port || 5432), user: decodeURIComponent(target.username || 'postgres') });
  t.teardown(() => bouncer.close());
  const throughBouncer = (url: string) => {
    const via = new URL(url);
    via.port = String(bouncer.port);
    return via.toString();
  };
  const advisoryLocksIn = async (url: string) => {
    const direct = new pg.Client({ connectionString: url });
    await direct.connect();
    try {
      const { rows } = await direct.query<{ n: string }>("select count(*) as n from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())");
      return Number(rows[0]!.n);
    } finally {
      await direct.end();
    }
  };

  t.test('without DATABASE_PGBOUNCER the statement_timeout startup parameter is refused', async (t) => {
    const db = await createTestDatabaseUrl();
    t.teardown(() => db.drop());
    const handle = await openDatabase({ url: throughBouncer(db.url), dataDir: '' });
    t.teardown(() => handle.close());
    await t.rejects(handle.ping(), /statement_timeout/, 'PgBouncer names the parameter');
  });

  t.test('migrations through PgBouncer: two at once, one applies, and no advisory lock stays behind', async (t) => {
    const db = await createTestDatabaseUrl();
    t.teardown(() => db.drop());
    const handles = await Promise.all([1, 2].map(() => openDatabase({ url: throughBouncer(db.url), dataDir: '', pgbouncer: true, poolSize: 4 })));
    t.teardown(() => Promise.all(handles.map((h) => h.close())));
    const applied = await Promise.all(handles.map((h) => migrateToLatest(h.db)));
    t.ok(applied.some((names) => names.length > 0), `one run applied ${applied.flat().length} migrations`);
    t.equal(applied.flat().length, new Set(applied.flat()).size, 'and none twice');
    t.equal(await advisoryLocksIn(db.url), 0, 'no advisory lock is held once they are done');
    t.same(await migrateToLatest(handles[0]!.db), [], 'a later run finds nothing to do, without waiting on a lock');
    t.equal(await advisoryLocksIn(db.url), 0);
  });

  t.test('a login, a refresh and a refresh race through PgBouncer', async (t) => {
    const logFrom = bouncer.output().length;
    const db = await createTestDatabaseUrl();
    t.teardown(() => db.drop());
    // MIGRATE_ON_START (the test broker's default) runs through PgBouncer too.
    const env = await startFlowEnvironment({ env: { DATABASE_URL: throughBouncer(db.url), DATABASE_PGBOUNCER: 'true', DATABASE_POOL_SIZE: '6' } });
    t.teardown(() => env.close());
    t.equal(env.broker.config.storage.databasePool.pgbouncer, true);
    const profile = await env.harness.profile({ lastName: 'Смирнова', firstName: 'Елена', middleName: 'Викторовна', birthDate: '1984-05-12', snils: '145-278-903 84', roles: ['parent'], region: '38' });
    const login = await flowLogin(env)('1000000101');
    const tokens = await login.tokens();
    t.equal(tokens.claims()!.sub, profile.id, 'logged in, the link written through PgBouncer');
    const refreshed = await oidc.refreshTokenGrant(env.config, tokens.refresh_token!);
    t.ok(refreshed.access_token, 'refreshed');
    const [a, b] = await Promise.all([oidc.refreshTokenGrant(env.config, refreshed.refresh_token!), oidc.refreshTokenGrant(env.config, refreshed.refresh_token!)]);
    t.equal(a.refresh_token, b.refresh_token, 'two refreshes at once: the row lock serialised them, one successor');
    const userinfo = await oidc.fetchUserInfo(env.config, a.access_token, profile.id);
    t.equal(userinfo.sub, profile.id);
    t.equal(await advisoryLocksIn(db.url), 0, 'no advisory lock left behind');
    t.notMatch(bouncer.output().slice(logFrom), /ERROR|WARNING/, 'PgBouncer logged no error or warning meanwhile');
  });
}
