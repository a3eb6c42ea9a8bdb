import { randomToken, safeEqual, sha256Base64url } from '../crypto/random.js';
import type { StoreKeyHash } from '../crypto/store-key.js';
import { jsonState, type StateStore } from '../store/state-store.js';

/**
 * Sessions of the /admin page: the admin token is typed once, then a random session id in a
 * cookie stands for it until the TTL or logout. Stored server-side (StateStore) under the
 * SHA-256 of the id, so a state dump holds no usable session; each carries its form token.
 * Failed token entries are counted per client address (its keyed hash, crypto/store-key.ts):
 * a lockout ends with its window.
 */
export const adminSessionKey = (sessionId: string): string => `admin:session:${sha256Base64url(sessionId)}`;
export const adminLoginFailuresKey = (storeKey: StoreKeyHash, ip: string): string => `admin:login-failures:${storeKey(ip)}`;

export interface AdminSession {
  id: string;
  /** The form token of this session (logout and any other POST). */
  csrf: string;
  createdAt: number;
}

export const ADMIN_LOGIN_LIMIT = { failures: 10, windowMs: 15 * 60 * 1000 } as const;

export type AdminLogin = { kind: 'ok'; session: AdminSession } | { kind: 'wrong-token' } | { kind: 'locked'; retryAfterSeconds: number };

export function createAdminSessions(state: StateStore, options: { adminToken: string | undefined; ttlMs: number; storeKey: StoreKeyHash; now?: () => number }) {
  const json = jsonState(state);
  const now = options.now ?? Date.now;
  return {
    ttlMs: options.ttlMs,

    /**
     * Checks the typed token (constant time) under the per-address failure limit; a session on
     * success. The attempt is counted before the token is compared, in one atomic step that never
     * passes the limit, so parallel posts cannot all read "9 of 10" and all be checked; at the
     * limit nothing is counted (a lockout ends with its window) and the token is not looked at.
     * The right token gives its count back: only failures count.
     */
    async login(token: string, ip: string): Promise<AdminLogin> {
      const failures = { key: adminLoginFailuresKey(options.storeKey, ip), limit: ADMIN_LOGIN_LIMIT.failures, windowMs: ADMIN_LOGIN_LIMIT.windowMs };
      if (!(await state.incrementAllBelow([failures])).counted) {
        return { kind: 'locked', retryAfterSeconds: Math.ceil(((await state.ttl(failures.key)) ?? ADMIN_LOGIN_LIMIT.windowMs) / 1000) };
      }
      if (!options.adminToken || !safeEqual(token, options.adminToken)) return { kind: 'wrong-token' };
      await state.decrement(failures.key);
      const session: AdminSession = { id: randomToken(32), csrf: randomToken(24), createdAt: now() };
      await json.put(adminSessionKey(session.id), { csrf: session.csrf, createdAt: session.createdAt }, options.ttlMs);
      return { kind: 'ok', session };
    },

    async find(sessionId: string | undefined): Promise<AdminSession | null> {
      if (!sessionId || sessionId.length > 100) return null;
      const stored = await json.get<{ csrf: string; createdAt: number }>(adminSessionKey(sessionId));
      return stored ? { id: sessionId, ...stored } : null;
    },

    async logout(sessionId: string): Promise<void> {
      await state.delete(adminSessionKey(sessionId));
    },
  };
}

export type AdminSessions = ReturnType<typeof createAdminSessions>;
