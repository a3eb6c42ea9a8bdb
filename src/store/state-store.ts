/**
 * Short-lived state (pending logins, nonces, codes, sessions, rate-limit counters).
 * Redis in production, in-process in development; both pass one contract test suite.
 * Keys come from key functions (see keys.ts), never inline strings.
 */
export interface StateStore {
  /** Stores value for ttlMs, replacing any earlier value. */
  put(key: string, value: string, ttlMs: number): Promise<void>;
  /**
   * Stores every entry (each replacing any earlier value, each with its own TTL) in one round
   * trip (a Redis Cluster: one per node holding them, in parallel). Not all or nothing: when the
   * call fails, any of them may have been stored, so use it only for entries that are harmless
   * alone until their TTL ends.
   */
  putMany(entries: readonly StateEntry[]): Promise<void>;
  /** Stores value only if key is absent; true when this call stored it. */
  putIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  get(key: string): Promise<string | null>;
  /** Reads and deletes in one atomic step: of many concurrent takers exactly one gets the value. */
  take(key: string): Promise<string | null>;
  /**
   * Takes key only if its value, a JSON object, has every field named in `allowed` as a string
   * equal to one of the values listed for it, in one atomic step; either way the value comes
   * back (null when absent), with `taken` saying whether this call removed it. Of many concurrent
   * takers at most one gets `taken: true`. One round trip where a look followed by take() needed
   * two. `allowed` names at least one field; a field with no value listed never matches.
   */
  takeIfFields(key: string, allowed: Readonly<Record<string, readonly string[]>>): Promise<{ value: string; taken: boolean } | null>;
  /**
   * Adds member at the end of the JSON array of strings at key (moving it there if it is in
   * already), keeps the last `max`, and starts the TTL afresh, in one atomic step: concurrent
   * adders all land, where a read and then a put could lose one. Returns the array's new length.
   */
  addToRecent(key: string, member: string, max: number, ttlMs: number): Promise<number>;
  delete(key: string): Promise<void>;
  /** Adds 1 and returns the new count; the window (TTL) starts with the first increment. */
  increment(key: string, windowMs: number): Promise<number>;
  /**
   * Counts one attempt on several counters at once, all or nothing, in one atomic step: when
   * every counter is below its limit each gets 1 more (a window starts with a key's first count)
   * and the new counts come back; when any is at its limit nothing changes and `full` is the
   * index of the first such counter. Many concurrent callers never push a counter past its limit.
   * The keys must share one `{hash tag}` (store/hash-tag.ts), so Redis Cluster keeps them in one slot.
   */
  incrementAllBelow(counters: readonly BoundedCounter[]): Promise<{ counted: true; counts: number[] } | { counted: false; full: number }>;
  /** Takes 1 back from a counter, keeping its window; at zero the key goes. Absent keys stay absent. */
  decrement(key: string): Promise<void>;
  /** Milliseconds left before key expires, or null when absent. */
  ttl(key: string): Promise<number | null>;
  /** Throws when the backend does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
  readonly kind: 'memory' | 'redis';
}

export interface StateEntry {
  key: string;
  value: string;
  ttlMs: number;
}

export interface BoundedCounter {
  key: string;
  /** The count this call may reach, at most. */
  limit: number;
  /** The window (TTL) a first count starts. */
  windowMs: number;
}

/** takeIfFields with no field to match would take any value: a programming error. */
export function assertSomeField(allowed: Readonly<Record<string, readonly string[]>>): void {
  if (Object.keys(allowed).length === 0) throw new Error('takeIfFields: name at least one field to match');
}

/** JSON helpers on top of a StateStore, so callers never hand-serialise. */
export function jsonState(store: StateStore) {
  return {
    async put<T>(key: string, value: T, ttlMs: number): Promise<void> {
      await store.put(key, JSON.stringify(value), ttlMs);
    },
    /** An entry for putMany, its value serialised as put() would. */
    entry<T>(key: string, value: T, ttlMs: number): StateEntry {
      return { key, value: JSON.stringify(value), ttlMs };
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
    async takeIfFields<T>(key: string, allowed: Readonly<Record<string, readonly string[]>>): Promise<{ value: T; taken: boolean } | null> {
      const answer = await store.takeIfFields(key, allowed);
      return answer === null ? null : { value: JSON.parse(answer.value) as T, taken: answer.taken };
    },
  };
}
export type JsonState = ReturnType<typeof jsonState>;
