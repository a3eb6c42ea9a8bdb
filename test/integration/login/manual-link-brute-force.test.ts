import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { flowLogin, startFlowEnvironment } from '../../helpers/login-flow.js';
import { KNOWN_PASSWORD } from '../../fixtures/personal-data.js';

// 50 wrong passwords for one diary login through the real form. A short window here
// (6 s: the 50 tries must fit in it even on a loaded CI machine) stands for the production
// 15 minutes; only the per-login limit (5) is in play.
const env = await startFlowEnvironment({
  env: { LINK_FAILURE_WINDOW_SECONDS: '6', LINK_MAX_FAILURES_PER_LOGIN: '5', LINK_MAX_FAILURES_PER_ESIA_ACCOUNT: '1000', LINK_MAX_FAILURES_PER_IP: '1000' },
});
t.teardown(() => env.close());
const login = flowLogin(env);

t.test('wrong passwords are locked out after the limit, the right one only after the window', async (t) => {
  const profile = await env.harness.profile({ lastName: 'Лебедев', firstName: 'Игорь', middleName: 'Александрович', birthDate: '1975-02-07', snils: null, password: KNOWN_PASSWORD, roles: ['teacher'], region: '38' });
  const attempt = await login('1000000108');
  const statuses: number[] = [];
  for (let i = 0; i < 50; i++) {
    await attempt.submit({ login: profile.login, password: `wrong-${i}` });
    statuses.push(attempt.response.status);
  }
  t.same(statuses.slice(0, 5), [401, 401, 401, 401, 429], 'four tries told how many remain, the fifth locks');
  t.ok(statuses.slice(5).every((s) => s === 429), 'every later attempt refused with 429');
  t.match(attempt.page, /временно заблокирована/);
  const retryAfter = Number(attempt.response.headers.get('retry-after'));
  t.ok(retryAfter > 0 && retryAfter <= 6, 'Retry-After given, within the window');

  await attempt.submit({ login: profile.login, password: KNOWN_PASSWORD });
  t.equal(attempt.response.status, 429, 'the right password is refused during the lockout');
  t.equal(attempt.clientRedirect, undefined);

  await sleep(retryAfter * 1000 + 100);
  await attempt.submit({ login: profile.login, password: KNOWN_PASSWORD });
  t.equal(attempt.response.status, 200, 'accepted after the window');
  await attempt.follow(/href="([^"]+)">Перейти/.exec(attempt.page)![1]!);
  t.equal((await attempt.tokens()).claims()!.sub, profile.id);

  const audit = await env.broker.deps.database.db.selectFrom('audit_events').select(['action', 'outcome', 'details']).where('actor', '=', 'esia:1000000108').execute();
  t.ok(audit.filter((a) => a.action === 'link.manual_attempt').length >= 50, 'every attempt audited');
  t.notOk(JSON.stringify(audit).includes(KNOWN_PASSWORD), 'no password in the audit trail');
  t.notOk(JSON.stringify(audit).includes(profile.login), 'no login either');
});
