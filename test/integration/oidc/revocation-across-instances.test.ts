import t, { type Test } from 'tap';
import * as oidc from 'openid-client';
import { adminClient } from '../../helpers/admin.js';
import { startBroker, type TestBroker } from '../../helpers/broker.js';
import { startFaultProxy } from '../../helpers/fault-proxy.js';
import { flowLogin, startFlowEnvironment } from '../../helpers/login-flow.js';

// Two broker instances of one deployment (same PUBLIC_URL, Postgres and Redis prefix), each
// with its grant cache. Whatever ends a grant on instance A (a revoked refresh token, an access
// token revoked alone, an admin unlink) makes /introspect and /userinfo on instance B refuse
// within 1 s (docs/PERFORMANCE.md), also while B's change feed is cut (black-holed): B then
// answers from the stores, never "active" from memory past the bound.
const needs = !(process.env['REDIS_URL'] && process.env['DATABASE_URL']) && 'needs REDIS_URL and DATABASE_URL';
const BOUND_MS = 1000;

if (needs) {
  t.pass(`skipped: ${needs}`);
} else {
  const env = await startFlowEnvironment({ env: { ESIA_TIMEOUT_MS: '15000' } });
  t.teardown(() => env.close());
  const login = flowLogin(env);
  const a = env.broker;
  const profile = await env.harness.profile({ lastName: 'Смирнова', firstName: 'Елена', middleName: 'Викторовна', birthDate: '1984-05-12', snils: '145-278-903 84', roles: ['parent'], region: '38' });
  const PERSONA = '1000000101';

  // B LISTENs through a proxy the test can cut; its queries go straight to Postgres.
  const storage = a.config.storage;
  const databaseUrl = new URL(storage.databaseUrl!);
  const proxy = await startFaultProxy({ host: databaseUrl.hostname, port: Number(databaseUrl.port || 5432) });
  t.teardown(() => proxy.close());
  const listenUrl = new URL(databaseUrl);
  listenUrl.hostname = proxy.host;
  listenUrl.port = String(proxy.port);
  const b: TestBroker = await startBroker({
    env: { PUBLIC_URL: a.url, DATABASE_URL: storage.databaseUrl, DATABASE_LISTEN_URL: listenUrl.href, REDIS_KEY_PREFIX: storage.redisKeyPrefix, MIGRATE_ON_START: 'false' },
  });
  t.teardown(() => b.close());
  const basic = `Basic ${Buffer.from(`${encodeURIComponent(env.client.clientId)}:${encodeURIComponent(env.client.secret)}`).toString('base64')}`;

  const introspectAt = async (broker: TestBroker, token: string) => {
    const response = await fetch(`${broker.url}/introspect`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token }) });
    return ((await response.json()) as { active: boolean }).active;
  };
  const userinfoAt = async (broker: TestBroker, token: string) => {
    const response = await fetch(`${broker.url}/userinfo`, { headers: { authorization: `Bearer ${token}` } });
    await response.body?.cancel();
    return response.status;
  };
  const until = async (what: () => boolean, ms: number) => {
    for (const end = Date.now() + ms; !what() && Date.now() < end; ) await new Promise((resolve) => setTimeout(resolve, 20));
    return what();
  };

  /** A fresh grant, and B's cache holding it (so a refusal on B is the cache being told, not a miss). */
  async function grantWarmOnB(t: Test) {
    const tokens = await (await login(PERSONA)).tokens();
    t.ok(await until(() => b.deps.oidc.ctx.grantCache.warm(), 5000), "B's grant cache is warm");
    t.equal(await introspectAt(b, tokens.access_token), true, 'B: the access token is active');
    t.equal(await userinfoAt(b, tokens.access_token), 200, 'B: /userinfo answers');
    t.ok(b.deps.oidc.ctx.grantCache.size > 0, "B answers from its cache");
    return tokens;
  }

  /**
   * Asks B over and over from the moment the change was made on A: every answer later than the
   * bound must refuse, and B must come to refuse. Returns when B first refused both.
   */
  async function refusedOnB(t: Test, token: string, changedAt: number, watchMs = BOUND_MS + 500) {
    let firstRefusal: number | undefined;
    const staleLate: number[] = [];
    const answers: string[] = [];
    while (Date.now() - changedAt < watchMs) {
      const [active, status] = await Promise.all([introspectAt(b, token), userinfoAt(b, token)]);
      const at = Date.now() - changedAt;
      if (firstRefusal === undefined) answers.push(`${at} ms: ${active ? 'active' : 'inactive'}/${status}`);
      if (!active && status === 401) firstRefusal ??= at;
      else if (at > BOUND_MS) staleLate.push(at);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    t.comment(`B's answers until it refused: ${answers.join(', ')}; cache warm: ${b.deps.oidc.ctx.grantCache.warm()}`);
    t.ok(firstRefusal !== undefined && firstRefusal <= BOUND_MS, `B refused within ${BOUND_MS} ms (after ${firstRefusal ?? '—'} ms)`);
    t.same(staleLate, [], 'no "active" answer from B after the bound');
  }

  t.test('a refresh token revoked at A (its whole grant): B refuses the access token within 1 s', async (t) => {
    const tokens = await grantWarmOnB(t);
    await oidc.tokenRevocation(env.config, tokens.refresh_token!);
    await refusedOnB(t, tokens.access_token, Date.now());
  });

  t.test('an access token revoked alone at A (a Redis mark no trigger sees): B refuses it within 1 s', async (t) => {
    const tokens = await grantWarmOnB(t);
    await oidc.tokenRevocation(env.config, tokens.access_token, { token_type_hint: 'access_token' });
    await refusedOnB(t, tokens.access_token, Date.now());
  });

  t.test("B's change feed cut (packets dropped): no stale answer past the bound, and the cache comes back", async (t) => {
    const tokens = await grantWarmOnB(t);
    proxy.blackhole();
    // The change is made at once, while B still believes its feed: only the beats tell it otherwise.
    await oidc.tokenRevocation(env.config, tokens.refresh_token!);
    const changedAt = Date.now();
    await refusedOnB(t, tokens.access_token, changedAt);
    t.notOk(b.deps.oidc.ctx.grantCache.warm(), 'B knows its feed is gone and reads the stores');
    const other = await (await login(PERSONA)).tokens();
    t.equal(await introspectAt(b, other.access_token), true, 'B still answers, from the stores');
    await proxy.restore();
    t.ok(await until(() => b.deps.oidc.ctx.grantCache.warm(), 15_000), 'B reconnects and its cache is warm again');
    t.equal(await introspectAt(b, tokens.access_token), false, 'the token revoked during the cut stays refused');
  });

  t.test('an admin unlink at A: B refuses the grant within 1 s', async (t) => {
    const tokens = await grantWarmOnB(t);
    const admin = adminClient(a.url);
    t.equal((await admin.call('DELETE', `/admin/links/${PERSONA}/${profile.id}`)).status, 204);
    await refusedOnB(t, tokens.access_token, Date.now());
  });
}
