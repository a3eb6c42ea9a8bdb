import type { StateStore } from '../store/state-store.js';
import { linkFailuresKey, loginCounterId, type LinkCounter } from './keys.js';

/**
 * Failed manual-link attempts, counted per diary login, per ESIA account and per IP, each in
 * a fixed window that starts with its first failure. At the limit the counter locks until its
 * window ends; refused attempts are not counted, so a lockout never outlives one window and
 * nobody can extend it by hammering. Keeping a victim's login locked would need a fresh ESIA
 * account every few windows (the per-account limit), and every attempt is audited with its oid.
 */
export interface LinkLimits {
  /** Wrong passwords allowed per diary login in a window (the brute-force target). */
  perLogin: number;
  /** Per ESIA account: one person guessing across many logins. */
  perEsiaAccount: number;
  /** Per IP: generous, a whole school may sit behind one address. */
  perIp: number;
  windowMs: number;
}

export const DEFAULT_LINK_LIMITS: LinkLimits = { perLogin: 5, perEsiaAccount: 10, perIp: 100, windowMs: 15 * 60_000 };

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
  /** After a right password: the login's and the account's slate is wiped (not the IP's). */
  recordSuccess(attempt: LinkAttempt): Promise<void>;
}

export function createLinkRateLimiter(state: StateStore, limits: LinkLimits = DEFAULT_LINK_LIMITS): LinkRateLimiter {
  const counters = (attempt: LinkAttempt): Array<{ by: LinkCounter; key: string; max: number }> => [
    { by: 'login', key: linkFailuresKey('login', loginCounterId(attempt.login)), max: limits.perLogin },
    { by: 'esia', key: linkFailuresKey('esia', attempt.esiaOid), max: limits.perEsiaAccount },
    { by: 'ip', key: linkFailuresKey('ip', attempt.ip), max: limits.perIp },
  ];

  async function lockedOrLeft(attempt: LinkAttempt, counts: number[]): Promise<LimitState> {
    const all = counters(attempt);
    for (const [i, counter] of all.entries()) {
      if ((counts[i] ?? 0) >= counter.max) {
        const ttl = await state.ttl(counter.key);
        return { locked: true, by: counter.by, retryAfterMs: ttl ?? limits.windowMs };
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
      const counts = await Promise.all(counters(attempt).map((c) => state.increment(c.key, limits.windowMs)));
      return lockedOrLeft(attempt, counts);
    },
    async recordSuccess(attempt) {
      await Promise.all(counters(attempt).filter((c) => c.by !== 'ip').map((c) => state.delete(c.key)));
    },
  };
}
