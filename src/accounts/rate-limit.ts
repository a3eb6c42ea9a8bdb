import type { StoreKeyHash } from '../crypto/store-key.js';
import type { StateStore } from '../store/state-store.js';
import { createInFlight, type InFlight } from './in-flight.js';
import { linkFailuresKey, loginCounterId, type LinkCounter } from './keys.js';

/**
 * Failed manual-link attempts, counted per diary login, per ESIA account and per IP in a fixed
 * window that starts with its first count, and per ESIA account again over a day. At a limit
 * the counter locks until its window ends; refused attempts are not counted, so one lockout
 * never outlives its window.
 *
 * Count first, check after: an attempt is counted on all four counters in one atomic step
 * (StateStore.incrementAllBelow) before its password is looked at, so parallel posts cannot all
 * read "4 of 5" and all go on to scrypt; an attempt that finds a counter at its limit is refused
 * and changes nothing. Only a stored link gives its count back (below).
 *
 * The windows alone let one ESIA account spend `perLogin` wrong passwords on someone else's
 * login every window and keep it locked for good. The daily cap bounds that: one account can
 * lock a given login at most floor(perEsiaAccountPerDay / perLogin) times per day (defaults:
 * 4 × 15 min = 1 h), so keeping a login locked all day takes a couple of dozen distinct ESIA
 * accounts, each audited with its oid. A stored link wipes the short counters of its login and
 * account but never the daily one: the attacker's own diary password must not buy more tries.
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
  /** Password checks (scrypt) running at once per ESIA account, in one process. */
  concurrentPerEsiaAccount: number;
  /** Password checks running at once per address, in one process. */
  concurrentPerIp: number;
}

export const DAY_MS = 24 * 60 * 60_000;

export const DEFAULT_LINK_LIMITS: LinkLimits = {
  perLogin: 5,
  perEsiaAccount: 10,
  perEsiaAccountPerDay: 20,
  perIp: 100,
  windowMs: 15 * 60_000,
  concurrentPerEsiaAccount: 2,
  concurrentPerIp: 8,
};

/** A post refused because its account or address already has checks running: try again shortly. */
export const IN_FLIGHT_RETRY_MS = 1000;

export interface LinkAttempt {
  esiaOid: string;
  login: string;
  ip: string;
}

export type LockedBy = LinkCounter | 'in-flight';

export type LimitState = { locked: false; attemptsLeft: number } | { locked: true; by: LockedBy; retryAfterMs: number };

/** An attempt counted and allowed to check its password; settle it exactly once. */
export interface Reservation {
  granted: true;
  /** The password check is over: frees the in-flight slot early (settling frees it too). */
  checked(): void;
  /** A wrong password or a link refused after the password: the attempt stays counted. */
  fail(): Promise<LimitState>;
  /** The link is stored: login and account window counters wiped, this attempt's daily and IP counts given back. */
  succeed(): Promise<void>;
  /** Nothing was decided (the check failed with an error): the attempt is given back everywhere. */
  cancel(): Promise<void>;
}

export type Refused = { granted: false; by: LockedBy; retryAfterMs: number };

export interface LinkRateLimiter {
  /** Before checking a password: counts the attempt, or refuses it (uncounted) at a limit or when too many checks run. */
  reserve(attempt: LinkAttempt): Promise<Reservation | Refused>;
  /** Erasure: the counters kept under a person's ESIA accounts and diary logins (not the addresses, shared). */
  forget(person: { esiaOids: readonly string[]; logins: readonly string[] }): Promise<void>;
}

interface Counter {
  by: LinkCounter;
  key: string;
  limit: number;
  windowMs: number;
  /** Wiped by a stored link; the others only get the attempt's own count back. */
  clearedBySuccess: boolean;
}

export function createLinkRateLimiter(state: StateStore, storeKey: StoreKeyHash, limits: LinkLimits = DEFAULT_LINK_LIMITS, inFlight: InFlight = createInFlight()): LinkRateLimiter {
  const counters = (attempt: LinkAttempt): Counter[] => [
    { by: 'login', key: linkFailuresKey(storeKey, 'login', loginCounterId(attempt.login)), limit: limits.perLogin, windowMs: limits.windowMs, clearedBySuccess: true },
    { by: 'esia', key: linkFailuresKey(storeKey, 'esia', attempt.esiaOid), limit: limits.perEsiaAccount, windowMs: limits.windowMs, clearedBySuccess: true },
    { by: 'esia-day', key: linkFailuresKey(storeKey, 'esia-day', attempt.esiaOid), limit: limits.perEsiaAccountPerDay, windowMs: DAY_MS, clearedBySuccess: false },
    { by: 'ip', key: linkFailuresKey(storeKey, 'ip', attempt.ip), limit: limits.perIp, windowMs: limits.windowMs, clearedBySuccess: false },
  ];

  async function lockOf(counter: Counter): Promise<{ by: LockedBy; retryAfterMs: number }> {
    return { by: counter.by, retryAfterMs: (await state.ttl(counter.key)) ?? counter.windowMs };
  }

  function reservation(all: Counter[], counts: number[], release: () => void): Reservation {
    let settled = false;
    const settle = () => {
      const first = !settled;
      settled = true;
      release();
      return first;
    };
    return {
      granted: true,
      checked: release,
      async fail() {
        settle();
        const full = all.find((c, i) => (counts[i] ?? 0) >= c.limit);
        if (full) return { locked: true, ...(await lockOf(full)) };
        return { locked: false, attemptsLeft: Math.min(...all.map((c, i) => c.limit - (counts[i] ?? 0))) };
      },
      async succeed() {
        if (!settle()) return;
        await Promise.all(all.map((c) => (c.clearedBySuccess ? state.delete(c.key) : state.decrement(c.key))));
      },
      async cancel() {
        if (!settle()) return;
        await Promise.all(all.map((c) => state.decrement(c.key)));
      },
    };
  }

  return {
    async forget(person) {
      const keys = [
        ...person.esiaOids.flatMap((oid) => [linkFailuresKey(storeKey, 'esia', oid), linkFailuresKey(storeKey, 'esia-day', oid)]),
        ...person.logins.map((login) => linkFailuresKey(storeKey, 'login', loginCounterId(login))),
      ];
      await Promise.all(keys.map((key) => state.delete(key)));
    },
    async reserve(attempt) {
      const release = inFlight.tryAcquire([
        { key: `esia:${attempt.esiaOid}`, max: limits.concurrentPerEsiaAccount },
        { key: `ip:${attempt.ip}`, max: limits.concurrentPerIp },
      ]);
      if (!release) return { granted: false, by: 'in-flight', retryAfterMs: IN_FLIGHT_RETRY_MS };
      const all = counters(attempt);
      try {
        const result = await state.incrementAllBelow(all);
        if (result.counted) return reservation(all, result.counts, release);
        release();
        return { granted: false, ...(await lockOf(all[result.full]!)) };
      } catch (error) {
        release();
        throw error;
      }
    },
  };
}
