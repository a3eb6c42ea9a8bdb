import t from 'tap';
import { linkFailuresKey, loginCounterId } from '../../../src/accounts/keys.js';
import type { PersonaInput } from '../../../src/emulator/personas.js';
import { newSnils } from '../../helpers/accounts.js';
import { flowLogin, startFlowEnvironment, type FlowEnvironment, type FlowLogin } from '../../helpers/login-flow.js';

// The manual-link form under a burst from one pending login (one browser, one xsrf), through
// real HTTP, on memory and on Redis + Postgres when REDIS_URL / DATABASE_URL are set. Passwords
// actually checked are counted at the directory: every call of authenticate is one scrypt.
// Before the fix the counters were read, scrypt ran, and only then a failure was counted:
// 30 parallel posts had 25 passwords checked, 100 had 80, the daily counter reached 84 of 20.
const LIMITS = { perLogin: 5, perEsiaAccountPerDay: 20 };
const adult = (oid: string, lastName: string): PersonaInput => ({
  oid,
  label: `Взрослый ${oid}`,
  trusted: false,
  lastName,
  firstName: 'Олег',
  middleName: 'Петрович',
  birthDate: '12.03.1980',
  gender: 'M',
  snils: newSnils(),
  documents: [{ type: 'RF_PASSPORT', vrfStu: 'VERIFIED', series: '2510', number: oid.slice(-6) }],
});
const people = { burst: '1000000801', daily: '1000000802', oracle: '1000000803', busy: '1000000804', owner: '1000000805' };

/** One broker whose directory counts the password checks it runs, and how many at once. */
async function environment(env: Record<string, string>) {
  const flow = await startFlowEnvironment({ region: '38', env, extraPersonas: Object.entries(people).map(([name, oid]) => adult(oid, `Тестов-${name}`)) });
  const directory = flow.broker.deps.directory;
  const authenticate = directory.authenticate.bind(directory);
  const checks = { count: 0, running: 0, maxRunning: 0 };
  directory.authenticate = async (login, password) => {
    checks.count++;
    checks.maxRunning = Math.max(checks.maxRunning, ++checks.running);
    try {
      return await authenticate(login, password);
    } finally {
      checks.running--;
    }
  };
  return { flow, checks, login: flowLogin(flow) };
}

/** The manual-link counters of a person, a login and this test's address start afresh. */
async function resetCounters(flow: FlowEnvironment, oid: string, logins: string[]) {
  const keys = [linkFailuresKey(flow.broker.deps.storeKey, 'esia', oid), linkFailuresKey(flow.broker.deps.storeKey, 'esia-day', oid), linkFailuresKey(flow.broker.deps.storeKey, 'ip', '127.0.0.1'), ...logins.map((l) => linkFailuresKey(flow.broker.deps.storeKey, 'login', loginCounterId(l)))];
  for (const key of keys) await flow.broker.deps.state.delete(key);
}

/** Posts the manual-link form of `attempt`'s page once per entry of `forms`, all at once; the statuses. */
async function burst(flow: FlowEnvironment, attempt: FlowLogin, forms: Array<Record<string, string>>): Promise<number[]> {
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(attempt.page)![1]!;
  const action = new URL(/<form method="post" action="([^"]+)"/.exec(attempt.page)![1]!, flow.broker.url).href;
  const responses = await Promise.all(forms.map((form) => attempt.browser.fetch(action, { form: { xsrf, ...form } })));
  return Promise.all(responses.map(async (r) => (await r.arrayBuffer(), r.status)));
}

t.test('count first: parallel posts from one pending login check at most the limit', async (t) => {
  // Only the counters are in play here: the in-flight bound is lifted (tested below).
  const { flow, checks, login } = await environment({ LINK_MAX_CONCURRENT_CHECKS_PER_ESIA_ACCOUNT: '1000', LINK_MAX_CONCURRENT_CHECKS_PER_IP: '1000', LINK_MAX_FAILURES_PER_ESIA_ACCOUNT: '1000', LINK_MAX_FAILURES_PER_IP: '1000' });
  t.teardown(() => flow.close());

  for (const n of [30, 100]) {
    t.test(`${n} parallel wrong passwords for one login`, async (t) => {
      const profile = await flow.harness.profile({ snils: null, roles: ['teacher'], region: '38' });
      await resetCounters(flow, people.burst, [profile.login]);
      const attempt = await login(people.burst);
      t.equal(attempt.response.status, 200, 'the manual-link form');
      checks.count = 0;
      const statuses = await burst(flow, attempt, Array.from({ length: n }, (_, i) => ({ login: profile.login, password: `wrong-${i}` })));
      t.ok(checks.count <= LIMITS.perLogin, `${checks.count} passwords checked (limit ${LIMITS.perLogin})`);
      t.ok(statuses.every((s) => s === 401 || s === 429), 'every answer is a wrong password or the lockout');
      t.ok(statuses.filter((s) => s === 429).length >= n - LIMITS.perLogin, 'the rest locked out');
      const count = Number(await flow.broker.deps.state.get(linkFailuresKey(flow.broker.deps.storeKey, 'login', loginCounterId(profile.login))));
      t.ok(count <= LIMITS.perLogin, `the login's counter at ${count}, never past its limit`);
    });
  }

  t.test('100 parallel posts for 100 logins: the daily per-account counter never passes its limit', async (t) => {
    await resetCounters(flow, people.daily, []);
    const attempt = await login(people.daily);
    checks.count = 0;
    const statuses = await burst(flow, attempt, Array.from({ length: 100 }, (_, i) => ({ login: `nobody-${people.daily}-${i}`, password: `wrong-${i}` })));
    t.ok(checks.count <= LIMITS.perEsiaAccountPerDay, `${checks.count} passwords checked (daily limit ${LIMITS.perEsiaAccountPerDay})`);
    const daily = Number(await flow.broker.deps.state.get(linkFailuresKey(flow.broker.deps.storeKey, 'esia-day', people.daily)));
    t.ok(daily <= LIMITS.perEsiaAccountPerDay, `the daily counter at ${daily}`);
    t.ok(statuses.every((s) => s === 401 || s === 429));
  });
});

t.test('checks in flight: at most LINK_MAX_CONCURRENT_CHECKS_PER_ESIA_ACCOUNT per account, _PER_IP per address', async (t) => {
  const { flow, checks, login } = await environment({ LINK_MAX_CONCURRENT_CHECKS_PER_ESIA_ACCOUNT: '2', LINK_MAX_CONCURRENT_CHECKS_PER_IP: '3', LINK_MAX_FAILURES_PER_LOGIN: '1000', LINK_MAX_FAILURES_PER_ESIA_ACCOUNT: '1000', LINK_MAX_DAILY_FAILURES_PER_ESIA_ACCOUNT: '1000', LINK_MAX_FAILURES_PER_IP: '1000' });
  t.teardown(() => flow.close());

  const one = await login(people.busy);
  const statuses = await burst(flow, one, Array.from({ length: 30 }, (_, i) => ({ login: `nobody-busy-${i}`, password: 'x' })));
  t.ok(checks.maxRunning <= 2, `${checks.maxRunning} checks ran at once for one ESIA account (limit 2)`);
  t.ok(statuses.every((s) => s === 401 || s === 429), 'the excess gets the lockout answer');
  t.ok(checks.count >= 1, 'some were checked');

  checks.maxRunning = 0;
  const three = await Promise.all([people.busy, people.daily, people.burst].map((oid) => login(oid)));
  await Promise.all(three.map((attempt, n) => burst(flow, attempt, Array.from({ length: 10 }, (_, i) => ({ login: `nobody-ip-${n}-${i}`, password: 'x' })))));
  t.ok(checks.maxRunning <= 3, `${checks.maxRunning} checks ran at once from one address (limit 3)`);
});

t.test('no password oracle: the right password on a profile that cannot be linked answers exactly like a wrong one', async (t) => {
  const { flow, login } = await environment({});
  t.teardown(() => flow.close());
  const db = flow.broker.deps.database.db;
  const region = '38';
  const linkedElsewhere = await flow.harness.profile({ snils: null, roles: ['teacher'], region });
  await db.insertInto('account_links').values({ esia_oid: people.owner, profile_id: linkedElsewhere.id, method: 'admin', is_default: false }).execute();
  const cases = {
    profile_linked_elsewhere: linkedElsewhere,
    profile_not_activated: await flow.harness.profile({ lastName: 'Тестов-oracle', firstName: 'Олег', middleName: 'Петрович', birthDate: '1980-03-12', snils: null, roles: ['teacher'], activated: false, region }),
    name_differs: await flow.harness.profile({ lastName: 'Другой', firstName: 'Олег', middleName: 'Петрович', birthDate: '1980-03-12', snils: null, roles: ['teacher'], region }),
    profile_in_other_region: await flow.harness.profile({ snils: null, roles: ['teacher'], region: '52' }),
  };

  /** Status, Retry-After and page of one post after `before` wrong ones, with every counter fresh; the page's own token blanked. */
  async function answer(login_: string, password: string, before = 0) {
    await resetCounters(flow, people.oracle, [login_]);
    const attempt = await login(people.oracle);
    for (let i = 0; i < before; i++) await attempt.submit({ login: login_, password: `warm-up-${i}` });
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(attempt.page)![1]!;
    await attempt.submit({ login: login_, password });
    return { status: attempt.response.status, retryAfter: attempt.response.headers.get('retry-after') !== null, page: attempt.page.replaceAll(xsrf, 'XSRF') };
  }

  for (const [name, profile] of Object.entries(cases)) {
    t.test(name, async (t) => {
      const wrong = await answer(profile.login, `${profile.password}-wrong`);
      const right = await answer(profile.login, profile.password);
      t.equal(wrong.status, 401);
      t.same(right, wrong, 'the same status and page');
      const wrongAtLimit = await answer(profile.login, `${profile.password}-wrong`, LIMITS.perLogin - 1);
      const rightAtLimit = await answer(profile.login, profile.password, LIMITS.perLogin - 1);
      t.equal(wrongAtLimit.status, 429, 'the last allowed attempt locks');
      t.same(rightAtLimit, wrongAtLimit, 'the same at the limit');
      t.same(await db.selectFrom('account_links').select('esia_oid').where('profile_id', '=', profile.id).execute(), name === 'profile_linked_elsewhere' ? [{ esia_oid: people.owner }] : [], 'no link made');
    });
  }

  t.test('the right password on a profile that can be linked links', async (t) => {
    const mine = await flow.harness.profile({ lastName: 'Тестов-oracle', firstName: 'Олег', middleName: 'Петрович', birthDate: '1980-03-12', snils: null, roles: ['teacher'], region });
    const ok = await answer(mine.login, mine.password);
    t.equal(ok.status, 200);
    t.match(ok.page, /Отлично! Теперь вы можете входить/);
  });
});
