import t from 'tap';
import { createLinkRateLimiter, DEFAULT_LINK_LIMITS, type LimitState, type LinkAttempt, type LinkLimits, type LinkRateLimiter } from '../../../src/accounts/rate-limit.js';
import { linkFailuresKey } from '../../../src/accounts/keys.js';
import { createStoreKeyHash } from '../../../src/crypto/store-key.js';
import { createMemoryStateStore } from '../../../src/store/memory/memory-state-store.js';

const limits: LinkLimits = { perLogin: 3, perEsiaAccount: 5, perEsiaAccountPerDay: 1000, perIp: 8, windowMs: 60_000, concurrentPerEsiaAccount: 2, concurrentPerIp: 8 };

const storeKey = createStoreKeyHash('test-store-key-secret-0123456789');

function setup(chosen: LinkLimits = limits) {
  let now = 0;
  const state = createMemoryStateStore(() => now);
  const limiter = createLinkRateLimiter(state, storeKey, chosen);
  return {
    state,
    limiter,
    advance: (ms: number) => void (now += ms),
    failure: (attempt: LinkAttempt) => failure(limiter, attempt),
    check: (attempt: LinkAttempt) => check(limiter, attempt),
  };
}

/** One attempt with a wrong password: counted, then failed. */
async function failure(limiter: LinkRateLimiter, attempt: LinkAttempt): Promise<LimitState> {
  const reserved = await limiter.reserve(attempt);
  return reserved.granted ? reserved.fail() : { locked: true, by: reserved.by, retryAfterMs: reserved.retryAfterMs };
}

/** Would an attempt be let through now? Reserves and gives the count back. */
async function check(limiter: LinkRateLimiter, attempt: LinkAttempt): Promise<{ locked: boolean; by?: string; retryAfterMs?: number }> {
  const reserved = await limiter.reserve(attempt);
  if (!reserved.granted) return { locked: true, by: reserved.by, retryAfterMs: reserved.retryAfterMs };
  await reserved.cancel();
  return { locked: false };
}

t.test('per login: locked at the limit, for what is left of the window', async (t) => {
  const { failure, check, advance } = setup();
  const attempt = (oid: string) => ({ esiaOid: oid, login: 'Victim.Login', ip: `10.0.0.${oid}` });
  t.same(await failure(attempt('1')), { locked: false, attemptsLeft: 2 });
  advance(10_000);
  t.same(await failure(attempt('2')), { locked: false, attemptsLeft: 1 });
  t.match(await failure(attempt('3')), { locked: true, by: 'login', retryAfterMs: 50_000 });
  t.match(await check({ esiaOid: '4', login: ' victim.login ', ip: '10.0.0.4' }), { locked: true, by: 'login' }, 'case and spaces share the counter');
  advance(50_000);
  t.same(await failure(attempt('5')), { locked: false, attemptsLeft: 2 }, 'a fresh window after');
});

t.test('per ESIA account and per IP', async (t) => {
  const { failure, check } = setup();
  for (let i = 0; i < 4; i++) await failure({ esiaOid: 'guesser', login: `l${i}`, ip: `10.1.0.${i}` });
  t.match(await failure({ esiaOid: 'guesser', login: 'l9', ip: '10.1.0.9' }), { locked: true, by: 'esia' });
  for (let i = 0; i < 8; i++) await failure({ esiaOid: `o${i}`, login: `m${i}`, ip: '10.2.0.1' });
  t.match(await check({ esiaOid: 'fresh', login: 'fresh', ip: '10.2.0.1' }), { locked: true, by: 'ip' });
});

t.test('a stored link wipes the login and account counters, and gives back only its own IP and daily count', async (t) => {
  const { limiter, failure, state } = setup();
  const attempt = { esiaOid: 'o', login: 'l', ip: '10.3.0.1' };
  await failure(attempt);
  await failure(attempt);
  const right = await limiter.reserve(attempt);
  t.ok(right.granted);
  if (right.granted) await right.succeed();
  t.equal(await state.get(linkFailuresKey(storeKey, 'login', 'l')), null, 'login counter wiped');
  t.equal(await state.get(linkFailuresKey(storeKey, 'esia', 'o')), null, 'account counter wiped');
  t.equal(await state.get(linkFailuresKey(storeKey, 'ip', '10.3.0.1')), '2', 'the two failures still count for the address');
  t.equal(await state.get(linkFailuresKey(storeKey, 'esia-day', 'o')), '2', 'and for the day');
  t.same(await failure({ ...attempt, ip: '10.3.0.2' }), { locked: false, attemptsLeft: 2 });
});

t.test('count first: of 100 concurrent attempts on one login exactly the limit are let through, refused ones are not counted', async (t) => {
  const { limiter, state } = setup({ ...limits, concurrentPerEsiaAccount: 1000, concurrentPerIp: 1000 });
  const results = await Promise.all(Array.from({ length: 100 }, (_, i) => limiter.reserve({ esiaOid: `o${i}`, login: 'victim', ip: `10.5.0.${i}` })));
  t.equal(results.filter((r) => r.granted).length, 3, 'perLogin reservations granted');
  t.ok(results.every((r) => r.granted || r.by === 'login'));
  t.equal(await state.get(linkFailuresKey(storeKey, 'login', 'victim')), '3', 'the counter never went past its limit');
  t.equal(await state.get(linkFailuresKey(storeKey, 'ip', '10.5.0.50')), null, 'a refused attempt left nothing behind');
});

t.test('in flight: at most concurrentPerEsiaAccount / concurrentPerIp reservations at once; a settled one frees its slot', async (t) => {
  const { limiter } = setup({ ...limits, perLogin: 100, perEsiaAccount: 100, perIp: 100, concurrentPerEsiaAccount: 2, concurrentPerIp: 3 });
  const a1 = await limiter.reserve({ esiaOid: 'a', login: 'x1', ip: '10.6.0.1' });
  const a2 = await limiter.reserve({ esiaOid: 'a', login: 'x2', ip: '10.6.0.1' });
  t.match(await limiter.reserve({ esiaOid: 'a', login: 'x3', ip: '10.6.0.2' }), { granted: false, by: 'in-flight', retryAfterMs: 1000 }, 'a third check for the account waits');
  const b1 = await limiter.reserve({ esiaOid: 'b', login: 'x4', ip: '10.6.0.1' });
  t.match(await limiter.reserve({ esiaOid: 'c', login: 'x5', ip: '10.6.0.1' }), { granted: false, by: 'in-flight' }, 'a fourth for the address waits');
  t.ok(a1.granted && a2.granted && b1.granted);
  if (a1.granted) await a1.fail();
  if (b1.granted) b1.checked();
  t.match(await limiter.reserve({ esiaOid: 'a', login: 'x6', ip: '10.6.0.1' }), { granted: true }, 'freed by fail() and checked()');
});

t.test('cancel gives the attempt back everywhere', async (t) => {
  const { limiter, state, failure } = setup();
  await failure({ esiaOid: 'o', login: 'l', ip: '10.7.0.1' });
  const r = await limiter.reserve({ esiaOid: 'o', login: 'l', ip: '10.7.0.1' });
  if (r.granted) await r.cancel();
  for (const [counter, id] of [['login', 'l'], ['esia', 'o'], ['esia-day', 'o'], ['ip', '10.7.0.1']] as const) t.equal(await state.get(linkFailuresKey(storeKey, counter, id)), '1', counter);
});

const MINUTE = 60_000;

/**
 * One ESIA account tries a wrong password on the victim's login whenever the login is not
 * locked (the greediest schedule); each simulated minute the victim, from their own ESIA
 * account and address, asks whether they may try. Returns the minutes they were turned away.
 */
async function minutesLockedByOneAccount(chosen: LinkLimits, days: number): Promise<number> {
  const { failure, check, advance } = setup(chosen);
  const attacker = { esiaOid: 'attacker', login: 'victim.login', ip: '198.51.100.7' };
  const victim = { esiaOid: 'victim', login: 'victim.login', ip: '203.0.113.5' };
  let locked = 0;
  for (let minute = 0; minute < days * 24 * 60; minute++) {
    while (!(await check(attacker)).locked) await failure(attacker);
    if ((await check(victim)).locked) locked++;
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
  const { limiter, failure, check, advance } = setup({ ...limits, perEsiaAccount: 100, perLogin: 100, perEsiaAccountPerDay: 4 });
  const attempt = (login: string) => ({ esiaOid: 'o', login, ip: '10.4.0.1' });
  for (let i = 0; i < 3; i++) await failure(attempt(`l${i}`));
  const right = await limiter.reserve(attempt('own.login'));
  if (right.granted) await right.succeed();
  t.match(await failure(attempt('l3')), { locked: true, by: 'esia-day' });
  advance(60 * MINUTE);
  const later = await check(attempt('l4'));
  t.match(later, { locked: true, by: 'esia-day', retryAfterMs: 23 * 60 * MINUTE }, 'until the day that began with its first failure ends');
  advance(23 * 60 * MINUTE);
  t.same(await failure(attempt('l4')), { locked: false, attemptsLeft: 3 });
});

t.test('keys hold no login or address in clear', async (t) => {
  const key = linkFailuresKey(storeKey, 'login', 'victim.login');
  t.notOk(key.includes('victim'));
  t.match(key, /^\{accounts:link-failures\}:login:[\w-]{43}$/);
  t.notOk(linkFailuresKey(storeKey, 'ip', '203.0.113.9').includes('203.0.113'));
});
