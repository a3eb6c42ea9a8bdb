import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { createRetention } from '../../../src/admin/retention.js';
import { runCli } from '../../../src/cli/run.js';
import type { CliIo } from '../../../src/cli/cli-io.js';
import { openDatabase, type Db } from '../../../src/store/postgres/database.js';
import { createPostgresAuditLog } from '../../../src/store/postgres/audit-repo.js';
import { createPostgresRetentionStore } from '../../../src/store/postgres/retention-repo.js';
import { createTestDatabaseUrl, databaseBackends } from '../../helpers/backends.js';
import { ROOT, spawnBroker } from '../../helpers/spawn-broker.js';
import { within } from '../../helpers/within.js';
import { migrateToLatest } from '../../../src/store/postgres/database.js';

const DAY = 24 * 3600 * 1000;
const T0 = new Date('2026-01-10T12:00:00Z');
const later = (days: number) => new Date(T0.getTime() + days * DAY);

async function seed(db: Db) {
  await db.insertInto('clients').values({ client_id: 'c', name: 'c', secret_hash: null, jwks: null, auth_method: 'none', redirect_uris: '[]', allowed_scopes: '[]' }).execute();
  await db.insertInto('profiles').values({ id: 'p1', login: 'l1', password_hash: null, last_name: 'A', first_name: 'B', middle_name: null, birth_date: null, snils_hmac: null, snils_last4: null, email: null, region: '77' }).execute();
  const family = (id: string, expiresInDays: number, revoked: boolean) => ({
    id, client_id: 'c', profile_id: 'p1', esia_oid: '1000', esia_level: 'confirmed', auth_time: T0, scope: '["openid"]', session_sid: null,
    expires_at: later(expiresInDays), revoked_at: revoked ? T0 : null, revoked_reason: revoked ? 'logout' : null,
  });
  await db.insertInto('refresh_token_families').values([family('expiring', 0.5, false), family('revoked', 30, true), family('active', 30, false)]).execute();
  await db.insertInto('refresh_tokens').values({ token_hash: 'h-expiring', family_id: 'expiring', expires_at: later(0.5) }).execute();
  // A logout token given up on at T0, and one still owed (never purged: the worker needs it).
  await db.insertInto('backchannel_logouts').values([
    { client_id: 'c', sub: 'p1', sid: null, reason: 'logout', next_attempt_at: T0, attempts: 8, last_error: 'timeout', gave_up_at: T0 },
    { client_id: 'c', sub: 'p1', sid: null, reason: 'logout', next_attempt_at: T0, attempts: 1, last_error: 'timeout', gave_up_at: null },
  ]).execute();
  const event = (action: string, at: Date) => ({ actor: 'esia:1000', action, outcome: 'success', target: 'p1', at });
  await db.insertInto('audit_events').values([event('login', T0), event('link.manual_attempt', T0), event('link.create', T0), event('profile.read', later(400))]).execute();
}

const count = async (db: Db, where?: string) =>
  Number((await sql<{ n: string }>`select count(*) as n from audit_events ${where ? sql`where action = ${where}` : sql``}`.execute(db)).rows[0]!.n);

for (const backend of databaseBackends()) {
  t.test(`retention purge with time moved forward (${backend.name})`, async (t) => {
    const handle = await backend.open();
    t.teardown(() => handle.close());
    const { db } = handle;
    await seed(db);
    const retention = createRetention({ store: createPostgresRetentionStore(db), audit: createPostgresAuditLog(db), windows: { loginEventsDays: 30, auditDays: 365 } });
    const call = { actor: 'system' };

    const first = await retention.purge(call, T0);
    t.same(first.deleted, { login_events: 0, audit_events: 0, grants: 0, backchannel_logouts: 0 }, 'nothing is old yet');
    t.equal(first.windows.login_events.before, later(-30).toISOString(), 'the report states the window it covers');

    const twoDays = await retention.purge(call, later(2));
    t.same(twoDays.deleted, { login_events: 0, audit_events: 0, grants: 2, backchannel_logouts: 1 }, 'an expired and a revoked grant go a day after, and a logout token given up on');
    t.equal(twoDays.windows.backchannel_logouts.before, later(1).toISOString(), 'its window is stated too');
    t.same((await db.selectFrom('backchannel_logouts').select('gave_up_at').execute()).map((r) => r.gave_up_at), [null], 'a logout token still owed stays');
    const families = await db.selectFrom('refresh_token_families').select('id').execute();
    t.same(families.map((f) => f.id), ['active'], 'the live grant stays');
    t.same(await db.selectFrom('refresh_tokens').select('token_hash').execute(), [], 'the expired grant took its tokens along');

    const month = await retention.purge(call, later(31));
    t.same(month.deleted, { login_events: 2, audit_events: 0, grants: 0, backchannel_logouts: 0 }, 'login events go after RETENTION_LOGIN_EVENTS_DAYS');
    t.equal(month.windows.login_events.days, 30);
    t.equal(month.windows.audit_events.before, later(31 - 365).toISOString());
    t.equal(await count(db, 'link.create'), 1, 'the rest of the trail stays');

    const years = await retention.purge(call, later(366));
    t.equal(years.deleted?.audit_events, 1, 'after RETENTION_AUDIT_DAYS the link event goes');
    t.equal(await count(db, 'link.create'), 0);
    t.equal(await count(db, 'profile.read'), 1, 'an event inside the window stays');
    const own = await db.selectFrom('audit_events').select(['details']).where('action', '=', 'retention.purge').execute();
    t.equal(own.length, 3, 'each purge that deleted something is audited (the empty hourly one is not)');
    t.match(own.at(-1)!.details, { audit_events: 1, audit_before: later(1).toISOString() });
  });
}

t.test('one purge at a time across replicas (Postgres advisory lock)', { skip: process.env['DATABASE_URL'] ? false : 'DATABASE_URL not set' }, async (t) => {
  const backend = databaseBackends().find((b) => b.name === 'postgres')!;
  const handle = await backend.open();
  t.teardown(() => handle.close());
  await seed(handle.db);
  const retention = createRetention({ store: createPostgresRetentionStore(handle.db), audit: createPostgresAuditLog(handle.db), windows: { loginEventsDays: 1, auditDays: 1 } });
  await handle.db.connection().execute(async (other) => {
    await sql`begin`.execute(other);
    await sql`select pg_advisory_xact_lock(hashtext('esia-broker:retention'))`.execute(other);
    const blocked = await retention.purge({ actor: 'system' }, later(400));
    t.equal(blocked.ran, false, 'a second replica skips while one purges');
    t.equal(blocked.deleted, null);
    await sql`rollback`.execute(other);
  });
  t.equal(await count(handle.db), 4, 'the skipped purge deleted nothing');
  const after = await retention.purge({ actor: 'system' }, later(400));
  t.equal(after.ran, true, 'once the lock is free the next purge runs');
  t.equal(after.deleted?.login_events, 2);
});

t.test('two replicas purge at the same moment: one deletes, the other skips at once', { skip: process.env['DATABASE_URL'] ? false : 'DATABASE_URL not set' }, async (t) => {
  const database = await createTestDatabaseUrl();
  // Two replicas: two processes' pools on one database, and a third connection for the test.
  const [a, b, observer] = await Promise.all([0, 1, 2].map(() => openDatabase({ url: database.url, dataDir: '', poolSize: 2 })));
  t.teardown(async () => {
    await Promise.all([a!, b!, observer!].map((h) => h.close()));
    await database.drop();
  });
  await migrateToLatest(observer!.db);
  await seed(observer!.db);
  const replica = (h: typeof a) => createRetention({ store: createPostgresRetentionStore(h!.db), audit: createPostgresAuditLog(h!.db), windows: { loginEventsDays: 1, auditDays: 1 } });
  // Keep replica A's purge busy (a row it must delete is locked), so B starts while A holds the purge.
  let first: Promise<Awaited<ReturnType<ReturnType<typeof replica>['purge']>>> | undefined;
  await observer!.db.connection().execute(async (blocker) => {
    await sql`begin`.execute(blocker);
    await sql`select id from audit_events where action = 'login' for update`.execute(blocker);
    first = replica(a).purge({ actor: 'system' }, later(400));
    for (let i = 0; i < 200; i++) {
      const { rows } = await sql<{ n: string }>`select count(*) as n from pg_locks where locktype = 'advisory' and granted`.execute(observer!.db);
      if (Number(rows[0]!.n) > 0) break;
      await sleep(25);
    }
    const second = await within(replica(b).purge({ actor: 'system' }, later(400)), 5000, 'waited');
    t.not(second, 'waited', 'the second replica does not queue behind the first');
    t.match(second, { ran: false, deleted: null }, 'the second replica skips this pass');
    await sql`commit`.execute(blocker);
  });
  const done = await first!;
  t.equal(done.ran, true, 'the first replica purged');
  t.same(done.deleted, { login_events: 2, audit_events: 1, grants: 3, backchannel_logouts: 1 }, 'everything old went, once');
  t.equal(await count(observer!.db), 2, 'left: the recent event and the purge\'s own audit record');
});

t.test('the running broker purges on its own timer soon after start', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'esia-broker-purge-timer-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const env = { NODE_ENV: 'development', DATA_DIR: dataDir, CONFIG_DIR: join(ROOT, 'config'), RETENTION_LOGIN_EVENTS_DAYS: '10' };
  const io: CliIo = { out: () => undefined, err: () => undefined, read: async () => '' };
  t.equal(await runCli(['migrate'], io, env), 0);
  {
    const handle = await openDatabase({ url: undefined, dataDir });
    await handle.db.insertInto('audit_events').values([{ actor: 'esia:1', action: 'login', outcome: 'success', at: new Date(Date.now() - 11 * DAY) }, { actor: 'esia:1', action: 'login', outcome: 'success' }]).execute();
    await handle.close();
  }
  const broker = spawnBroker({ ...env, PORT: '0', HOST: '127.0.0.1' });
  t.teardown(() => void broker.child.kill('SIGKILL'));
  await broker.ready;
  const deadline = Date.now() + 30_000;
  while (!broker.output().includes('retention purge done') && Date.now() < deadline) await sleep(100);
  const line = broker.output().split('\n').find((l) => l.includes('retention purge done'));
  t.ok(line, 'the broker logged its purge without anyone asking');
  t.match(JSON.parse(line ?? '{}'), { deleted: { login_events: 1 }, windows: { login_events: { days: 10 } } });
  broker.child.kill('SIGTERM');
  await broker.exit;
  const handle = await openDatabase({ url: undefined, dataDir });
  t.teardown(() => handle.close());
  t.equal(await count(handle.db, 'login'), 1, 'the 11-day-old login went, today\'s stayed');
});

t.test('esia-broker purge (the CronJob command)', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'esia-broker-purge-'));
  const database = process.env['DATABASE_URL'] ? await createTestDatabaseUrl() : undefined;
  t.teardown(async () => {
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const env = {
    NODE_ENV: 'test', DATA_DIR: dataDir, DATABASE_URL: database?.url, MIGRATE_ON_START: 'true', RETENTION_LOGIN_EVENTS_DAYS: '10',
    COOKIE_SECRET: 'test-cookie-secret-0123456789abcdef', SNILS_HMAC_KEY: 'test-snils-hmac-key-0123456789abcdef', KEY_ENCRYPTION_KEY: 'test-key-encryption-key-0123456789',
  };
  let out = '';
  const io: CliIo = { out: (s) => void (out += s), err: () => undefined, read: async () => '' };
  t.equal(await runCli(['migrate'], io, env), 0);
  {
    const handle = await openDatabase({ url: database?.url, dataDir });
    const old = new Date(Date.now() - 11 * DAY);
    await handle.db.insertInto('audit_events').values([{ actor: 'esia:1', action: 'login', outcome: 'success', at: old }, { actor: 'esia:1', action: 'login', outcome: 'success' }]).execute();
    await handle.close();
  }
  out = '';
  t.equal(await runCli(['purge'], io, env), 0);
  const report = JSON.parse(out) as { ran: boolean; windows: { login_events: { days: number; before: string } }; deleted: { login_events: number } };
  t.equal(report.ran, true);
  t.equal(report.windows.login_events.days, 10, 'RETENTION_LOGIN_EVENTS_DAYS is the window');
  t.equal(report.deleted.login_events, 1, 'the 11-day-old login went, today\'s stayed');
});
