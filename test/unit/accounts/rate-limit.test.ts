import t from 'tap';
import { createLinkRateLimiter, DEFAULT_LINK_LIMITS, type LinkLimits } from '../../../src/accounts/rate-limit.js';
import { linkFailuresKey } from '../../../src/accounts/keys.js';
import { createMemoryStateStore } from '../../../src/store/memory/memory-state-store.js';

const limits: LinkLimits = { perLogin: 3, perEsiaAccount: 5, perEsiaAccountPerDay: 1000, perIp: 8, windowMs: 60_000 };

function setup(chosen: LinkLimits = limits) {
  let now = 0;
  const state = createMemoryStateStore(() => now);
  return { state, limiter: createLinkRateLimiter(state, chosen), advance: (ms: number) => void (now += ms) };
}

t.test('per login: locked at the limit, for what is left of the window', async (t) => {
  const { limiter, advance } = setup();
  const attempt = (oid: string) => ({ esiaOid: oid, login: 'Victim.Login', ip: `10.0.0.${oid}` });
  t.same(await limiter.recordFailure(attempt('1')), { locked: false, attemptsLeft: 2 });
  advance(10_000);
  t.same(await limiter.recordFailure(attempt('2')), { locked: false, attemptsLeft: 1 });
  t.match(await limiter.recordFailure(attempt('3')), { locked: true, by: 'login', retryAfterMs: 50_000 });
  t.match(await limiter.check({ esiaOid: '4', login: ' victim.login ', ip: '10.0.0.4' }), { locked: true, by: 'login' }, 'case and spaces share the counter');
  advance(50_000);
  t.same(await limiter.check(attempt('5')), { locked: false, attemptsLeft: 3 }, 'a fresh window after');
});

t.test('per ESIA account and per IP', async (t) => {
  const { limiter } = setup();
  for (let i = 0; i < 4; i++) await limiter.recordFailure({ esiaOid: 'guesser', login: `l${i}`, ip: `10.1.0.${i}` });
  t.match(await limiter.recordFailure({ esiaOid: 'guesser', login: 'l9', ip: '10.1.0.9' }), { locked: true, by: 'esia' });
  for (let i = 0; i < 8; i++) await limiter.recordFailure({ esiaOid: `o${i}`, login: `m${i}`, ip: '10.2.0.1' });
  t.match(await limiter.check({ esiaOid: 'fresh', login: 'fresh', ip: '10.2.0.1' }), { locked: true, by: 'ip' });
});

t.test('success wipes the login and account counters, not the IP one', async (t) => {
  const { limiter } = setup();
  const attempt = { esiaOid: 'o', login: 'l', ip: '10.3.0.1' };
  await limiter.recordFailure(attempt);
  await limiter.recordFailure(attempt);
  await limiter.recordSuccess(attempt);
  t.same(await limiter.check({ ...attempt, ip: '10.3.0.2' }), { locked: false, attemptsLeft: 3 });
  t.same(await limiter.check(attempt), { locked: false, attemptsLeft: 3 }, 'IP count 2 of 8 leaves more than the login limit');
});

const MINUTE = 60_000;

/**
 * One ESIA account tries a wrong password on the victim's login whenever the login is not
 * locked (the greediest schedule); each simulated minute the victim, from their own ESIA
 * account and address, asks whether they may try. Returns the minutes they were turned away.
 */
async function minutesLockedByOneAccount(chosen: LinkLimits, days: number): Promise<number> {
  const { limiter, advance } = setup(chosen);
  const attacker = { esiaOid: 'attacker', login: 'victim.login', ip: '198.51.100.7' };
  const victim = { esiaOid: 'victim', login: 'victim.login', ip: '203.0.113.5' };
  let locked = 0;
  for (let minute = 0; minute < days * 24 * 60; minute++) {
    while (!(await limiter.check(attacker)).locked) await limiter.recordFailure(attacker);
    if ((await limiter.check(victim)).locked) locked++;
    advance(MINUTE);
  }
  return locked;
}

t.test('one ESIA account cannot keep a login locked: at most perEsiaAccountPerDay / perLogin windows a day', async (t) => {
  const bound = Math.floor(DEFAULT_LINK_LIMITS.perEsiaAccountPerDay / DEFAULT_LINK_LIMITS.perLogin) * (DEFAULT_LINK_LIMITS.windowMs / MINUTE);
  t.equal(bound, 60, 'with the defaults: four 15-minute lockouts');
  const oneDay = await minutesLockedByOneAccount(DEFAULT_LINK_LIMITS, 1);
  t.ok(oneDay > 0 && oneDay <= bound, `locked ${oneDay} of 1440 minutes (at most ${bound})`);
  t.ok((await minutesLockedByOneAccount(DEFAULT_LINK_LIMITS, 2)) <= 2 * bound, 'and so the next day');
  const withoutDailyCap = await minutesLockedByOneAccount({ ...DEFAULT_LINK_LIMITS, perEsiaAccountPerDay: Number.MAX_SAFE_INTEGER }, 1);
  t.ok(withoutDailyCap > 1300, `without the daily cap the same schedule holds it ${withoutDailyCap} minutes (the hole this closes)`);
});

t.test('the daily cap locks the account for the rest of its day, and a right password does not reset it', async (t) => {
  const { limiter, advance } = setup({ ...limits, perEsiaAccount: 100, perLogin: 100, perEsiaAccountPerDay: 4 });
  const attempt = (login: string) => ({ esiaOid: 'o', login, ip: '10.4.0.1' });
  for (let i = 0; i < 3; i++) await limiter.recordFailure(attempt(`l${i}`));
  await limiter.recordSuccess(attempt('own.login'));
  t.match(await limiter.recordFailure(attempt('l3')), { locked: true, by: 'esia-day' });
  advance(60 * MINUTE);
  const later = await limiter.check(attempt('l4'));
  t.match(later, { locked: true, by: 'esia-day', retryAfterMs: 23 * 60 * MINUTE }, 'until the day that began with its first failure ends');
  advance(23 * 60 * MINUTE);
  t.same(await limiter.check(attempt('l4')), { locked: false, attemptsLeft: 4 });
});

t.test('keys hold no login or address in clear', async (t) => {
  const key = linkFailuresKey('login', 'victim.login');
  t.notOk(key.includes('victim'));
  t.match(key, /^accounts:link-failures:login:[\w-]{43}$/);
  t.notOk(linkFailuresKey('ip', '203.0.113.9').includes('203.0.113'));
});
