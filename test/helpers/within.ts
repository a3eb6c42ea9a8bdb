import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The promise's value, or `timedOut` if it takes longer than `ms`. The timer is cancelled as
 * soon as the race is decided: a bare sleep() left in a race kept the test process alive for the
 * whole `ms` after its last test (a 20 s bound held log-sink.test.ts open 18 s doing nothing).
 */
export async function within<T, const U>(promise: Promise<T>, ms: number, timedOut: U): Promise<T | U> {
  const race = new AbortController();
  try {
    return await Promise.race([promise, sleep(ms, timedOut, { signal: race.signal })]);
  } finally {
    race.abort();
  }
}
