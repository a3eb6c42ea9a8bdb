import type { StateStore } from '../store/state-store.js';
import { linkFailuresKey, loginCounterId, type LinkCounter } from './keys.js';

/**
 * Failed manual-link attempts, counted per diary login, per ESIA account and per IP in a fixed
 * window that starts with its first failure, and per ESIA account again over a day. At a limit
 * the counter locks until its window ends; refused attempts are not counted, so one lockout
 * never outlives its window.
 *
 * The windows alone let one ESIA account spend `perLogin` wrong passwords on someone else's
 * login every window and keep it locked for good. The daily cap bounds that: one account can
 * lock a given login at most floor(perEsiaAccountPerDay / perLogin) times per day (defaults:
 * 4 × 15 min = 1 h), so keeping a login locked all day takes a couple of dozen distinct ESIA
 * accounts, each audited with its oid. A right password wipes the short counters of its login
 * and account but never the daily one: the attacker's own diary password must not buy more tries.
 */
export interface LinkLimits {
  /** Wrong passwords allowed per diary login in a window (the brute-force target). */
  perLogin: number;
  /** Per ESIA account in a window: one person guessing across many logins. */
  perEsiaAccount: number;
  /** Per ESIA account in a day: bounds how long one account can keep any login locked. */
  perEsiaAccountPerDay: number;
  /** Per IP: generous, a whole school may sit behind one address. */
  perIp: number;
  windowMs: number;
}

export const DAY_MS = 24 * 60 * 60_000;

export const DEFAULT_LINK_LIMITS: LinkLimits = { perLogin: 5, perEsiaAccount: 10, perEsiaAccountPerDay: 20, perIp: 100, windowMs: 15 * 60_000 };

export interface LinkAttempt {
  esiaOid: string;
  login: string;
  ip: string;
}

export type LimitState = { locked: false; attemptsLeft: number } | { locked: true; by: LinkCounter; retryAfterMs: number };

export interface LinkRateLimiter {
  /** Before checking a password: is any counter of this attempt at its limit? */
  check(attempt: LinkAttempt): Promise<LimitState>;
  /** After a wrong password or unknown login. */
  recordFailure(attempt: LinkAttempt): Promise<LimitState>;
  /** After a right password: the login's and the account's window counters are wiped (not the IP's or the daily one). */
  recordSuccess(attempt: LinkAttempt): Promise<void>;
}

interface Counter {
  by: LinkCounter;
  key: string;
  max: number;
  windowMs: number;
  /** Wiped by a right password. */
  clearedBySuccess: boolean;
}

export function createLinkRateLimiter(state: StateStore, limits: LinkLimits = DEFAULT_LINK_LIMITS): LinkRateLimiter {
  const counters = (attempt: LinkAttempt): Counter[] => [
    { by: 'login', key: linkFailuresKey('login', loginCounterId(attempt.login)), max: limits.perLogin, windowMs: limits.windowMs, clearedBySuccess: true },
    { by: 'esia', key: linkFailuresKey('esia', attempt.esiaOid), max: limits.perEsiaAccount, windowMs: limits.windowMs, clearedBySuccess: true },
    { by: 'esia-day', key: linkFailuresKey('esia-day', attempt.esiaOid), max: limits.perEsiaAccountPerDay, windowMs: DAY_MS, clearedBySuccess: false },
    { by: 'ip', key: linkFailuresKey('ip', attempt.ip), max: limits.perIp, windowMs: limits.windowMs, clearedBySuccess: false },
  ];

  async function lockedOrLeft(attempt: LinkAttempt, counts: number[]): Promise<LimitState> {
    const all = counters(attempt);
    for (const [i, counter] of all.entries()) {
      if ((counts[i] ?? 0) >= counter.max) {
        const ttl = await state.ttl(counter.key);
        return { locked: true, by: counter.by, retryAfterMs: ttl ?? counter.windowMs };
      }
    }
    return { locked: false, attemptsLeft: Math.min(...all.map((c, i) => c.max - (counts[i] ?? 0))) };
  }

  return {
    async check(attempt) {
      const counts = await Promise.all(counters(attempt).map(async (c) => Number((await state.get(c.key)) ?? 0)));
      return lockedOrLeft(attempt, counts);
    },
    async recordFailure(attempt) {
      const counts = await Promise.all(counters(attempt).map((c) => state.increment(c.key, c.windowMs)));
      return lockedOrLeft(attempt, counts);
    },
    async recordSuccess(attempt) {
      await Promise.all(counters(attempt).filter((c) => c.clearedBySuccess).map((c) => state.delete(c.key)));
    },
  };
}
