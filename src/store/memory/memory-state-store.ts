import { assertOneSlot } from '../hash-tag.js';
import { assertSomeField, type StateStore } from '../state-store.js';

interface Entry {
  value: string;
  expiresAt: number;
}

/**
 * In-process state for development and single-instance demos. JavaScript runs each call
 * to completion, so get-and-delete here is atomic without locks.
 */
export function createMemoryStateStore(now: () => number = Date.now): StateStore {
  const entries = new Map<string, Entry>();
  const sweep = setInterval(() => {
    const t = now();
    for (const [key, entry] of entries) if (entry.expiresAt <= t) entries.delete(key);
  }, 30_000);
  sweep.unref();

  function live(key: string): Entry | undefined {
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  }

  return {
    kind: 'memory',
    async put(key, value, ttlMs) {
      entries.set(key, { value, expiresAt: now() + ttlMs });
    },
    async putMany(batch) {
      for (const { key, value, ttlMs } of batch) entries.set(key, { value, expiresAt: now() + ttlMs });
    },
    async putIfAbsent(key, value, ttlMs) {
      if (live(key)) return false;
      entries.set(key, { value, expiresAt: now() + ttlMs });
      return true;
    },
    async get(key) {
      return live(key)?.value ?? null;
    },
    async take(key) {
      const entry = live(key);
      entries.delete(key);
      return entry?.value ?? null;
    },
    async takeIfFields(key, allowed) {
      assertSomeField(allowed);
      const entry = live(key);
      if (!entry) return null;
      const parsed = objectOf(entry.value);
      const taken =
        parsed !== undefined &&
        Object.entries(allowed).every(([field, values]) => {
          const own = parsed[field];
          return typeof own === 'string' && values.includes(own);
        });
      if (taken) entries.delete(key);
      return { value: entry.value, taken };
    },
    async addToRecent(key, member, max, ttlMs) {
      const entry = live(key);
      const earlier = entry ? arrayOf(entry.value) : [];
      const kept = [...earlier.filter((m) => m !== member), member].slice(-max);
      entries.set(key, { value: JSON.stringify(kept), expiresAt: now() + ttlMs });
      return kept.length;
    },
    async delete(key) {
      entries.delete(key);
    },
    async increment(key, windowMs) {
      const entry = live(key);
      const count = entry ? Number(entry.value) + 1 : 1;
      entries.set(key, { value: String(count), expiresAt: entry?.expiresAt ?? now() + windowMs });
      return count;
    },
    async incrementAllBelow(counters) {
      assertOneSlot('incrementAllBelow', counters.map((c) => c.key));
      const current = counters.map((c) => live(c.key));
      const full = counters.findIndex((c, i) => Number(current[i]?.value ?? 0) >= c.limit);
      if (full >= 0) return { counted: false, full };
      const counts = counters.map((c, i) => {
        const count = Number(current[i]?.value ?? 0) + 1;
        entries.set(c.key, { value: String(count), expiresAt: current[i]?.expiresAt ?? now() + c.windowMs });
        return count;
      });
      return { counted: true, counts };
    },
    async decrement(key) {
      const entry = live(key);
      if (!entry) return;
      const count = Number(entry.value) - 1;
      if (count <= 0) entries.delete(key);
      else entry.value = String(count);
    },
    async ttl(key) {
      const entry = live(key);
      return entry ? entry.expiresAt - now() : null;
    },
    async ping() {},
    async close() {
      clearInterval(sweep);
      entries.clear();
    },
  };
}

/** The strings of a JSON array; anything else counts as empty. */
function arrayOf(json: string): string[] {
  try {
    const parsed: unknown = JSON.parse(json);
    return Array.isArray(parsed) ? parsed.filter((m): m is string => typeof m === 'string') : [];
  } catch {
    return [];
  }
}

function objectOf(json: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(json);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
