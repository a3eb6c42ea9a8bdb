/**
 * Password checks running right now, per key (an ESIA account, an address). Each scrypt holds
 * ~32 MB and a core for ~50 ms, so a burst of parallel posts must not start them all at once.
 * In-process on purpose: every replica bounds its own memory and CPU, and a count in Redis
 * would outlive a crashed process.
 */
export interface InFlight {
  /** Takes a slot on every key, or none when any is full; the answer releases them (once). */
  tryAcquire(keys: ReadonlyArray<{ key: string; max: number }>): (() => void) | undefined;
}

export function createInFlight(): InFlight {
  const running = new Map<string, number>();
  return {
    tryAcquire(keys) {
      if (keys.some(({ key, max }) => (running.get(key) ?? 0) >= max)) return undefined;
      for (const { key } of keys) running.set(key, (running.get(key) ?? 0) + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        for (const { key } of keys) {
          const left = (running.get(key) ?? 1) - 1;
          if (left <= 0) running.delete(key);
          else running.set(key, left);
        }
      };
    },
  };
}
