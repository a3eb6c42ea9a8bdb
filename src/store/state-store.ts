/**
 * Short-lived state (pending logins, nonces, codes, sessions, rate-limit counters).
 * Redis in production, in-process in development; both pass one contract test suite.
 * Keys come from key functions (see keys.ts), never inline strings.
 */
export interface StateStore {
  /** Stores value for ttlMs, replacing any earlier value. */
  put(key: string, value: string, ttlMs: number): Promise<void>;
  /** Stores value only if key is absent; true when this call stored it. */
  putIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  get(key: string): Promise<string | null>;
  /** Reads and deletes in one atomic step: of many concurrent takers exactly one gets the value. */
  take(key: string): Promise<string | null>;
  delete(key: string): Promise<void>;
  /** Adds 1 and returns the new count; the window (TTL) starts with the first increment. */
  increment(key: string, windowMs: number): Promise<number>;
  /** Milliseconds left before key expires, or null when absent. */
  ttl(key: string): Promise<number | null>;
  /** Throws when the backend does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
  readonly kind: 'memory' | 'redis';
}

/** JSON helpers on top of a StateStore, so callers never hand-serialise. */
export function jsonState(store: StateStore) {
  return {
    async put<T>(key: string, value: T, ttlMs: number): Promise<void> {
      await store.put(key, JSON.stringify(value), ttlMs);
    },
    async putIfAbsent<T>(key: string, value: T, ttlMs: number): Promise<boolean> {
      return store.putIfAbsent(key, JSON.stringify(value), ttlMs);
    },
    async get<T>(key: string): Promise<T | null> {
      const raw = await store.get(key);
      return raw === null ? null : (JSON.parse(raw) as T);
    },
    async take<T>(key: string): Promise<T | null> {
      const raw = await store.take(key);
      return raw === null ? null : (JSON.parse(raw) as T);
    },
  };
}
export type JsonState = ReturnType<typeof jsonState>;
