/**
 * What /introspect and /userinfo read on every call (the client, the token's family, its
 * revocation mark, the profile and its link), kept in this process so the common case costs no
 * network round trip, without ever answering from data older than a stated bound.
 *
 * A change feed (store/postgres/change-feed.ts) tells the cache two things: which key changed
 * (`changed`), and that it has heard everything committed up to a moment (`heardUpTo`): each
 * replica NOTIFYs a beat stamped with its own clock every BEAT_MS and hears it back on its
 * listening connection; notifications arrive in commit order, so once a beat sent at t is back,
 * every change committed before t has been heard. The cache is *warm* while the last beat heard
 * was sent at most `staleAfterMs` ago; otherwise (feed lost, slow, not yet connected, or no
 * feed at all) every read goes to the stores, as if there were no cache. Hence the bound: an
 * answer from the cache misses only changes committed within the last `staleAfterMs`, plus the
 * time a notification takes to arrive ahead of the next beat.
 */
export interface GrantCache {
  /** The value under key: from memory while warm and fresh, else load() (kept if nothing changed meanwhile). */
  read<T>(key: string, load: () => Promise<T>): Promise<T>;
  /** This process changed what key names: drop it at once, before the notification comes back. */
  forget(key: string): void;
  /** Tells every replica (and this one) that key changed; for changes no trigger sees (a Redis mark). */
  announce(key: string): Promise<void>;
  /** True while answers may come from memory. */
  warm(): boolean;
  /** For tests and metrics: entries held now. */
  readonly size: number;
  /** Reads so far by outcome (hit: from memory; miss: loaded and kept; cold: loaded, the cache being cold). */
  readonly reads: Readonly<Record<GrantCacheOutcome, number>>;
}

export type GrantCacheOutcome = 'hit' | 'miss' | 'cold';

/** Cache keys: one letter per kind, as the database triggers (migration 0011) send them. */
export const grantKeys = {
  family: (id: string) => `f:${id}`,
  linkOfProfile: (profileId: string) => `l:${profileId}`,
  profile: (id: string) => `p:${id}`,
  client: (clientId: string) => `c:${clientId}`,
  revokedAccessToken: (jti: string) => `j:${jti}`,
};

/** What a change feed drives. */
export interface GrantCacheFeedSide {
  changed(key: string): void;
  /** A beat sent at sentAt (this process's clock) came back: everything committed before it has been heard. */
  heardUpTo(sentAt: number): void;
  /** The feed was lost (or is new): nothing heard can be trusted to be complete any more. */
  lost(): void;
}

export interface GrantCacheOptions {
  now: () => number;
  /** Warm while the last beat heard back was sent at most this long ago. */
  staleAfterMs: number;
  /** An entry is reloaded after this long even when no change was heard (memory, defence in depth). */
  maxAgeMs: number;
  maxEntries: number;
  /** Sends a change notification to every replica; absent: this process only. */
  notify?: (key: string) => Promise<void>;
}

export const DEFAULT_STALE_AFTER_MS = 500;
export const DEFAULT_BEAT_MS = 100;

export function createGrantCache(options: GrantCacheOptions): GrantCache & GrantCacheFeedSide {
  const entries = new Map<string, { value: unknown; at: number }>();
  let heard = Number.NEGATIVE_INFINITY;
  // Bumped by every change heard: a load that overlapped one is not kept (it may predate it).
  let generation = 0;
  const reads: Record<GrantCacheOutcome, number> = { hit: 0, miss: 0, cold: 0 };

  const warm = () => options.now() - heard <= options.staleAfterMs;
  const clear = () => {
    entries.clear();
    generation++;
  };

  return {
    async read<T>(key: string, load: () => Promise<T>): Promise<T> {
      if (!warm()) {
        reads.cold++;
        return load();
      }
      const hit = entries.get(key);
      if (hit && options.now() - hit.at <= options.maxAgeMs) {
        reads.hit++;
        return hit.value as T;
      }
      reads.miss++;
      const started = generation;
      const at = options.now();
      const value = await load();
      if (started === generation && warm()) {
        if (entries.size >= options.maxEntries) entries.delete(entries.keys().next().value as string);
        entries.set(key, { value, at });
      }
      return value;
    },
    forget(key) {
      entries.delete(key);
      generation++;
    },
    async announce(key) {
      entries.delete(key);
      generation++;
      await options.notify?.(key);
    },
    warm,
    get size() {
      return entries.size;
    },
    reads,
    changed(key) {
      entries.delete(key);
      generation++;
    },
    heardUpTo(sentAt) {
      // Back from a gap: what was kept before it may have missed changes heard by nobody.
      if (!warm()) clear();
      heard = Math.max(heard, sentAt);
    },
    lost() {
      heard = Number.NEGATIVE_INFINITY;
      clear();
    },
  };
}

/** No cache: every read loads (the embedded database, GRANT_CACHE=off, tests of the server alone). */
export const noGrantCache: GrantCache = {
  read: (_key, load) => load(),
  forget: () => undefined,
  announce: async () => undefined,
  warm: () => false,
  size: 0,
  reads: { hit: 0, miss: 0, cold: 0 },
};
