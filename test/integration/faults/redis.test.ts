import t from 'tap';
import { startFaultProxy } from '../../helpers/fault-proxy.js';
import { Browser } from '../../helpers/emulator.js';
import { assertApiUnavailable, assertUnavailablePage, authorizeUrl, beginLogin, exchange, readiness, refreshRaw, timedFetch, unavailableLinks, untilReady } from '../../helpers/fault-flow.js';
import { startFlowEnvironment } from '../../helpers/login-flow.js';
import { freePort, hasRedisServer, startPrivateRedis, stopPrivateRedis } from '../../helpers/private-redis.js';

// Redis (our own redis-server behind a TCP proxy) refused and black-holed in the middle of a
// login and of a refresh: every endpoint answers 503 temporarily_unavailable naming Redis, within
// 2 s (REDIS_COMMAND_TIMEOUT_MS=500 here), /readyz names it, and once it is back the same login
// and the same refresh token go on without a restart.
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

  /** A whole login, for tokens to refresh later. */
  const tokensNow = async () => {
    const login = await beginLogin(env, OID);
    return exchange(env, login, (await timedFetch(login.browser, login.callbackUrl)).response);
  };

  for (const fault of ['refuse', 'blackhole'] as const) {
    t.test(`Redis ${fault === 'refuse' ? 'refusing connections' : 'black-holed'} mid-login and mid-refresh`, async (t) => {
      const earlier = await tokensNow();
      t.ok(earlier.refresh_token, 'a refresh token from before the fault');
      const login = await beginLogin(env, OID);

      if (fault === 'refuse') await proxy.refuse();
      else proxy.blackhole();

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
    });
  }
}
