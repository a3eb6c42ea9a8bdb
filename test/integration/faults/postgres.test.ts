import t from 'tap';
import pg from 'pg';
import type { ProfileSeed } from '../../helpers/accounts.js';
import { sha256Base64url } from '../../../src/crypto/random.js';
import { loadConfig } from '../../../src/config/index.js';
import { databasePoolOptions, migrateToLatest, openDatabase, type DatabaseHandle } from '../../../src/store/postgres/database.js';
import { infrastructureFailure } from '../../../src/store/unavailable.js';
import { createTestDatabaseUrl } from '../../helpers/backends.js';
import { Browser } from '../../helpers/emulator.js';
import { startFaultProxy, type FaultProxy } from '../../helpers/fault-proxy.js';
import { ANSWER_WITHIN_MS, assertApiUnavailable, assertUnavailablePage, authorizeUrl, beginLogin, exchange, readiness, refreshRaw, throughEsia, timedFetch, unavailableLinks, untilReady } from '../../helpers/fault-flow.js';
import { startFlowEnvironment, type FlowEnvironment } from '../../helpers/login-flow.js';

// Postgres (the test database behind a TCP proxy) refused and black-holed in the middle of a
// login (after ESIA vouched for the person, before the link is written) and of a refresh:
// 503 temporarily_unavailable naming Postgres within 2 s (DATABASE_QUERY_TIMEOUT_MS=800 here),
// /readyz names it, no half-written link or family, and once it is back the same login goes on
// («Попробовать ещё раз»: the pending login was put back) without a restart.
const LINKED = { oid: '1000000102', profile: { lastName: 'Кузнецов', firstName: 'Андрей', middleName: 'Сергеевич', birthDate: '1979-11-03', snils: '153-624-871 70', roles: ['parent'], region: '38' } satisfies ProfileSeed };
const NEW = { oid: '1000000101', profile: { lastName: 'Смирнова', firstName: 'Елена', middleName: 'Викторовна', birthDate: '1984-05-12', snils: '145-278-903 84', roles: ['parent'], region: '38' } satisfies ProfileSeed };

const FAILURE_LIMIT = 10;
const databaseUrl = process.env['DATABASE_URL'];
if (!databaseUrl) {
  t.test('Postgres faults', { skip: 'DATABASE_URL is not set: the Postgres fault suite needs a real Postgres (the Redis one runs anyway)' }, () => undefined);
} else {
  const testDb = await createTestDatabaseUrl();
  // Migrated past the proxy with the CLI's generous deadlines, so the broker's own short ones
  // (800 ms here) only ever meet the point lookups of a login.
  const migrating = await openDatabase({ url: testDb.url, dataDir: '' });
  await migrateToLatest(migrating.db);
  await migrating.close();
  const target = new URL(testDb.url);
  const proxy: FaultProxy = await startFaultProxy({ host: target.hostname, port: Number(target.port || 5432) });
  const proxied = new URL(testDb.url);
  proxied.hostname = proxy.host;
  proxied.port = String(proxy.port);
  const redisUrl = process.env['REDIS_URL'];
  const env: FlowEnvironment = await startFlowEnvironment({
    embedded: true,
    // A failure limit of 10 a minute, so an outage can outlast it in a dozen calls.
    env: { DATABASE_URL: proxied.toString(), DATABASE_QUERY_TIMEOUT_MS: '800', OIDC_TOKEN_RATE_LIMIT_PER_MINUTE: String(FAILURE_LIMIT), ...(redisUrl ? { REDIS_URL: redisUrl } : {}) },
  });
  // Looks at the database past the proxy, while the broker cannot.
  const direct = new pg.Client({ connectionString: testDb.url });
  await direct.connect();
  t.teardown(async () => {
    await env.close();
    await direct.end();
    await proxy.close();
    await testDb.drop();
  });
  await env.harness.profile(LINKED.profile);
  await env.harness.profile(NEW.profile);
  const linksOf = async (oid: string) => (await direct.query('select profile_id from account_links where esia_oid = $1', [oid])).rowCount;

  /** A whole login, and what its callback took with Postgres up. */
  const tokensNow = async () => {
    const login = await beginLogin(env, LINKED.oid);
    const callback = await timedFetch(login.browser, login.callbackUrl);
    return { ...(await exchange(env, login, callback.response)), callbackMs: callback.ms };
  };

  for (const fault of ['refuse', 'blackhole'] as const) {
    t.test(`Postgres ${fault === 'refuse' ? 'refusing connections' : 'black-holed'} mid-login and mid-refresh`, async (t) => {
      await direct.query('delete from account_links where esia_oid = $1', [NEW.oid]);
      const earlier = await tokensNow();
      const login = await beginLogin(env, NEW.oid);

      if (fault === 'refuse') await proxy.refuse();
      else proxy.blackhole();

      // ESIA has vouched for the person; matching and linking need Postgres.
      const callback = await timedFetch(login.browser, login.callbackUrl);
      assertUnavailablePage(t, callback, '/esia/callback', earlier.callbackMs);
      const links = unavailableLinks(callback.page);
      t.equal(links.back?.searchParams.get('error'), 'temporarily_unavailable', 'the way back to the diary');
      t.equal(links.back?.searchParams.get('state'), login.state);
      t.match(links.retry, /^\/esia\/login\?state=/, 'and a retry of this login');
      t.equal(await linksOf(NEW.oid), 0, 'no half-written link');

      assertUnavailablePage(t, await timedFetch(new Browser(), await authorizeUrl(env, { verifier: 'v'.repeat(43), state: 'st-2', nonce: 'n-2' })), '/authorize');

      await assertApiUnavailable(t, env, earlier, 'postgres');

      const ready = await readiness(env);
      t.equal(ready.status, 503);
      t.same(ready.failed, ['postgres'], '/readyz names Postgres, and only Postgres');

      await proxy.restore();
      t.equal(await untilReady(env), 200, 'ready again without a restart');

      // «Попробовать ещё раз»: the pending login was put back; ESIA hands out a new code.
      const relay = await login.browser.fetch(`${env.broker.url}${links.retry!}`);
      const again = await throughEsia(env, login.browser, Browser.location(relay, env.broker.url), NEW.oid);
      const tokens = await exchange(env, login, (await timedFetch(login.browser, again.callbackUrl)).response);
      t.ok(tokens.access_token, 'the interrupted login completes once Postgres is back');
      t.equal(await linksOf(NEW.oid), 1, 'exactly one link');

      const after = await refreshRaw(env, earlier.refresh_token!);
      t.equal(after.status, 200, 'the refresh token from before the fault still works');
      t.ok(after.body['refresh_token'], 'and rotates');
    });
  }
  t.test('a diary backend that keeps calling /token through an outage has its whole failure budget once Postgres is back', async (t) => {
    const tokens = await tokensNow();
    await proxy.refuse();
    const during = [];
    for (let i = 0; i < FAILURE_LIMIT + 2; i += 1) during.push((await refreshRaw(env, tokens.refresh_token!)).status);
    t.same(during, Array.from({ length: FAILURE_LIMIT + 2 }, () => 503), `${FAILURE_LIMIT + 2} calls, past the limit of ${FAILURE_LIMIT}: each 503 (ours), never slow_down`);
    await proxy.restore();
    t.equal(await untilReady(env), 200, 'ready again');
    const after = await refreshRaw(env, tokens.refresh_token!);
    t.equal(after.status, 200, 'the next call is answered, not 429 slow_down for the rest of the minute');
  });

  t.test('Postgres black-holed inside a refresh rotation (after its first row lock): nothing half-written', async (t) => {
    const tokens = await tokensNow();
    const hash = sha256Base64url(tokens.refresh_token!);
    const family = (await direct.query<{ family_id: string }>('select family_id from refresh_tokens where token_hash = $1', [hash])).rows[0]!.family_id;
    const tokenRows = async () => (await direct.query('select token_hash from refresh_tokens where family_id = $1', [family])).rowCount;
    const before = await tokenRows();

    // Hold the family row: the broker's rotation locks the token row, then waits on the family.
    await direct.query('begin');
    await direct.query('select id from refresh_token_families where id = $1 for update', [family]);
    const refreshing = refreshRaw(env, tokens.refresh_token!);
    await new Promise((resolve) => setTimeout(resolve, 200));
    proxy.blackhole();
    await direct.query('rollback');
    const refreshed = await refreshing;
    t.equal(refreshed.status, 503, 'the refresh answers 503');
    t.equal(refreshed.body['error'], 'temporarily_unavailable');
    t.ok(refreshed.ms < ANSWER_WITHIN_MS, `within ${refreshed.ms} ms`);

    await proxy.restore();
    t.equal(await untilReady(env), 200, 'ready again without a restart');
    const row = (await direct.query<{ used_at: Date | null; successor_hash: string | null }>('select used_at, successor_hash from refresh_tokens where token_hash = $1', [hash])).rows[0];
    t.same(row, { used_at: null, successor_hash: null }, 'the token was not marked used');
    t.equal(await tokenRows(), before, 'no successor was written');
    const after = await refreshRaw(env, tokens.refresh_token!);
    t.equal(after.status, 200, 'the same refresh token rotates once Postgres is back');
  });

  t.test('with the default deadlines a black-holed Postgres fails a query as unavailable in about 5 s and a connection in 2 s, far below the 30 s request timeout', async (t) => {
    // The suite above runs the broker at 800 ms to check the 2 s answer quickly; this is what a
    // broker with no DATABASE_*_TIMEOUT_MS set does (README: why the defaults are not lower).
    const config = loadConfig({ DATABASE_URL: proxied.toString() });
    t.equal(config.storage.databaseQueryTimeoutMs, 5000, 'the default query deadline');
    t.equal(config.storage.databasePool.connectTimeoutMs, 2000, 'the default connect deadline');
    const open = () => openDatabase({ url: proxied.toString(), dataDir: '', queryTimeoutMs: config.storage.databaseQueryTimeoutMs, ...databasePoolOptions(config) });
    const timed = async (handle: DatabaseHandle) => {
      const started = Date.now();
      const error = await handle.ping().then(() => undefined, (failure: unknown) => failure);
      return { ms: Date.now() - started, down: infrastructureFailure(error)?.backend };
    };
    const pooled = await open();
    await pooled.ping(); // a live pooled connection for the black hole to swallow
    proxy.blackhole();
    const fresh = await open();
    try {
      const [query, connect] = await Promise.all([timed(pooled), timed(fresh)]);
      t.equal(query.down, 'postgres', 'a query on a live connection: Postgres unavailable (503)');
      t.ok(query.ms >= 4500 && query.ms < 7000, `after ${query.ms} ms (deadline 5000)`);
      t.equal(connect.down, 'postgres', 'a new connection: Postgres unavailable (503)');
      t.ok(connect.ms >= 1500 && connect.ms < 4000, `after ${connect.ms} ms (deadline 2000)`);
    } finally {
      await proxy.restore();
      await Promise.all([pooled.close(), fresh.close()]);
    }
  });
}
