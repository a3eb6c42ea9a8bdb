import t from 'tap';
import { createLinkRateLimiter } from '../../../src/accounts/rate-limit.js';
import { linkFailuresKey } from '../../../src/accounts/keys.js';
import { createMemoryStateStore } from '../../../src/store/memory/memory-state-store.js';

const limits = { perLogin: 3, perEsiaAccount: 5, perIp: 8, windowMs: 60_000 };

function setup() {
  let now = 0;
  const state = createMemoryStateStore(() => now);
  return { state, limiter: createLinkRateLimiter(state, limits), advance: (ms: number) => void (now += ms) };
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

t.test('keys hold no login or address in clear', async (t) => {
  const key = linkFailuresKey('login', 'victim.login');
  t.notOk(key.includes('victim'));
  t.match(key, /^accounts:link-failures:login:[\w-]{43}$/);
  t.notOk(linkFailuresKey('ip', '203.0.113.9').includes('203.0.113'));
});
