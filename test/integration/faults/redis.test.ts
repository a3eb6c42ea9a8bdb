import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { stateKeys } from '../../../src/oidc/state-keys.js';
import { startFaultProxy } from '../../helpers/fault-proxy.js';
import { Browser } from '../../helpers/emulator.js';
import { ANSWER_WITHIN_MS, assertApiUnavailable, assertUnavailablePage, authorizeUrl, beginLogin, exchange, readiness, refreshRaw, timedFetch, unavailableLinks, untilReady, userinfoRaw } from '../../helpers/fault-flow.js';
import { startFlowEnvironment } from '../../helpers/login-flow.js';
import { freePort, hasRedisServer, startPrivateRedis, stopPrivateRedis } from '../../helpers/private-redis.js';

// Redis (our own redis-server behind a TCP proxy) refused and black-holed in the middle of a
// login and of a refresh: every endpoint that needs Redis answers 503 temporarily_unavailable
// naming Redis, within 2 s (REDIS_COMMAND_TIMEOUT_MS=500 here), /readyz names it, and once it is
// back the same login and the same refresh token go on without a restart, nothing counted.
//
// A refresh needs Redis only to count a failure-limit slot, and not even that when this
// instance already leases one (a call of the same caller within the last 100-200 ms): then it
// is answered 200 during the outage. Which of the two a refresh meets is decided by the
// limiter's state, never by timing here: the 503 cases wait until it leases nothing
// (failureLimit.idle()), the 200 case holds the slot of the call just answered (holdLeases()).
const OID = '1000000101';

if (!hasRedisServer()) {
  t.comment('skipped: redis-server is not installed');
  t.pass('skipped: redis-server is not installed');
} else {
  const redisPort = await freePort();
  const redis = await startPrivateRedis(redisPort);
  t.teardown(() => stopPrivateRedis(redis));
  const proxy = await startFaultProxy({ host: '127.0.0.1', port: redisPort });
  t.teardown(() => proxy.close());
  const env = await startFlowEnvironment({ env: { REDIS_URL: `redis://127.0.0.1:${proxy.port}`, REDIS_COMMAND_TIMEOUT_MS: '500' } });
  t.teardown(() => env.close());
  await env.harness.profile({ lastName: 'Смирнова', firstName: 'Елена', middleName: 'Викторовна', birthDate: '1984-05-12', snils: '145-278-903 84', roles: ['parent'], region: '38' });

  const { ctx } = env.broker.deps.oidc;
  const limiter = ctx.failureLimit;
  /** What Redis counts for the diary backend's /token calls (refusals + leased slots) in the window of `at`. */
  const tokenCount = async (at: number) => Number((await env.broker.deps.state.get(stateKeys.tokenRate(ctx.storeKey(`${env.client.clientId}@127.0.0.1`), Math.floor(at / 60_000)))) ?? 0);
  const cut = async (fault: 'refuse' | 'blackhole') => (fault === 'refuse' ? proxy.refuse() : proxy.blackhole());
  const faultName = (fault: 'refuse' | 'blackhole') => (fault === 'refuse' ? 'refusing connections' : 'black-holed');

  /** A whole login, for tokens to refresh later. */
  const tokensNow = async () => {
    const login = await beginLogin(env, OID);
    return exchange(env, login, (await timedFetch(login.browser, login.callbackUrl)).response);
  };

  for (const fault of ['refuse', 'blackhole'] as const) {
    t.test(`Redis ${faultName(fault)} mid-login and mid-refresh`, async (t) => {
      const began = Date.now();
      const earlier = await tokensNow();
      t.ok(earlier.refresh_token, 'a refresh token from before the fault');
      const login = await beginLogin(env, OID);
      // The code exchange's slot handed back: the refresh below has to count one in Redis.
      await limiter.idle();
      t.equal(limiter.leased(), 0, 'no failure-limit slot leased before the fault');

      await cut(fault);

      assertUnavailablePage(t, await timedFetch(login.browser, login.callbackUrl), '/esia/callback');

      const authorizeAnswer = await timedFetch(new Browser(), await authorizeUrl(env, { verifier: 'v'.repeat(43), state: 'st-1', nonce: 'n-1' }));
      assertUnavailablePage(t, authorizeAnswer, '/authorize');
      const back = unavailableLinks(authorizeAnswer.page).back;
      t.equal(back && `${back.origin}${back.pathname}`, env.client.redirectUri, '/authorize: the way back to the diary');
      t.equal(back?.searchParams.get('error'), 'temporarily_unavailable');
      t.equal(back?.searchParams.get('state'), 'st-1');

      await assertApiUnavailable(t, env, earlier, 'redis');

      const ready = await readiness(env);
      t.equal(ready.status, 503);
      t.same(ready.failed, ['redis'], '/readyz names Redis, and only Redis');

      await proxy.restore();
      t.equal(await untilReady(env), 200, 'ready again without a restart');

      // The pending login was never taken: the very same callback finishes the login.
      const retried = await timedFetch(login.browser, login.callbackUrl);
      const tokens = await exchange(env, login, retried.response);
      t.ok(tokens.access_token, 'the interrupted login completes after Redis is back');
      // Nothing of the family was touched: the refresh token from before still rotates.
      const after = await refreshRaw(env, earlier.refresh_token!);
      t.equal(after.status, 200, 'the refresh token from before the fault still works');
      t.ok(after.body['refresh_token'], 'and rotates');
      await limiter.idle();
      t.same([await tokenCount(began), await tokenCount(Date.now())], [0, 0], 'Redis counts nothing for the caller: the 503 counted no slot, every slot went back');
    });

    t.test(`Redis ${faultName(fault)}: a refresh by a caller holding a leased slot needs no Redis`, async (t) => {
      // Clear of a minute's end: a new window would be a new pool, whose slot Redis must count.
      const left = 60_000 - (Date.now() % 60_000);
      if (left < 15_000) await sleep(left + 100);
      const release = limiter.holdLeases();
      t.teardown(release);
      const began = Date.now();
      const earlier = await tokensNow();
      t.equal(limiter.leased(), 1, 'the code exchange left its slot leased');
      t.equal(await tokenCount(began), 1, 'counted in Redis before the fault');

      await cut(fault);
      const refreshed = await refreshRaw(env, earlier.refresh_token!);
      t.equal(refreshed.status, 200, '/token refresh during the outage: 200 (the slot is leased, the rotation is one Postgres statement)');
      t.ok(refreshed.ms < ANSWER_WITHIN_MS, `answered in ${refreshed.ms} ms`);
      const access = refreshed.body['access_token'];
      const refresh = refreshed.body['refresh_token'];
      t.type(access, 'string', 'a new access token');
      t.type(refresh, 'string', 'a new refresh token');
      t.not(refresh, earlier.refresh_token, 'rotated');
      t.equal(limiter.leased(), 1, 'the same slot, back in the pool: none counted during the outage');
      t.equal((await readiness(env)).status, 503, 'Redis is down all along');

      await proxy.restore();
      t.equal(await untilReady(env), 200, 'ready again without a restart');
      t.equal(await tokenCount(began), 1, 'after the outage Redis counts the one leased slot, once');
      release();
      await limiter.idle();
      t.equal(await tokenCount(began), 0, 'handed back: no slot leaked, none counted twice');

      // The pair issued during the outage is whole: the access token is accepted, the refresh token rotates.
      const info = await userinfoRaw(env, access as string);
      t.equal(info.status, 200, 'the access token issued during the outage works at /userinfo');
      t.equal(info.body['sub'], earlier.claims()!.sub, 'for the same person');
      const next = await refreshRaw(env, refresh as string);
      t.equal(next.status, 200, 'the refresh token issued during the outage rotates');
      t.ok(next.body['refresh_token']);
    });
  }
}
