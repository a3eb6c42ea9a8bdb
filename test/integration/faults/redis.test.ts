import t, { type Test } from 'tap';
import { startFaultProxy } from '../../helpers/fault-proxy.js';
import { Browser } from '../../helpers/emulator.js';
import { authorizeUrl, beginLogin, exchange, readiness, refreshRaw, timedFetch, unavailableLinks, untilReady, userinfoRaw } from '../../helpers/fault-flow.js';
import { startFlowEnvironment } from '../../helpers/login-flow.js';
import { freePort, hasRedisServer, startPrivateRedis, stopPrivateRedis } from '../../helpers/private-redis.js';

// Redis (our own redis-server behind a TCP proxy) refused and black-holed in the middle of a
// login and of a refresh: every endpoint answers 503 temporarily_unavailable naming Redis, within
// 2 s (REDIS_COMMAND_TIMEOUT_MS=500 here), /readyz names it, and once it is back the same login
// and the same refresh token go on without a restart.
const ANSWER_WITHIN_MS = 2000;
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

  function assertUnavailablePage(t: Test, answer: { response: Response; ms: number; page: string }, where: string) {
    t.equal(answer.response.status, 503, `${where}: 503`);
    t.ok(answer.ms < ANSWER_WITHIN_MS, `${where}: answered in ${answer.ms} ms`);
    t.equal(answer.response.headers.get('cache-control'), 'no-store');
    t.match(answer.page, /Сервис входа временно недоступен/, `${where}: the Russian «temporarily unavailable» page`);
    t.match(answer.page, /data-error="temporarily_unavailable"/);
    t.notMatch(answer.page, /составлен неверно|устарел/, `${where}: not blamed on the request`);
  }

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

      const refreshed = await refreshRaw(env, earlier.refresh_token!);
      t.equal(refreshed.status, 503, '/token: 503');
      t.equal(refreshed.body['error'], 'temporarily_unavailable');
      t.match(refreshed.body['error_description'], /redis/, '/token: names the cause');
      t.equal(refreshed.retryAfter, '5');
      t.ok(refreshed.ms < ANSWER_WITHIN_MS, `/token answered in ${refreshed.ms} ms`);

      const info = await userinfoRaw(env, earlier.access_token);
      t.equal(info.status, 503, '/userinfo: 503');
      t.equal(info.body['error'], 'temporarily_unavailable');
      t.ok(info.ms < ANSWER_WITHIN_MS, `/userinfo answered in ${info.ms} ms`);

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
