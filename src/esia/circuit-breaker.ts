/**
 * Fails fast while ESIA is down: after `threshold` consecutive outages (network errors,
 * timeouts, 5xx) calls are refused for `cooldownMs`; then one trial call decides whether the
 * circuit closes again or stays open for another cooldown.
 */
export interface CircuitBreaker {
  /** True when a call may go out now. */
  allow(): boolean;
  success(): void;
  failure(): void;
  readonly state: 'closed' | 'open' | 'half-open';
}

export function createCircuitBreaker(options: { threshold: number; cooldownMs: number; now?: () => number }): CircuitBreaker {
  const now = options.now ?? Date.now;
  let failures = 0;
  let openedAt: number | undefined;
  let trialInFlight = false;
  const state = (): CircuitBreaker['state'] => (openedAt === undefined ? 'closed' : now() - openedAt >= options.cooldownMs ? 'half-open' : 'open');
  return {
    allow() {
      const current = state();
      if (current === 'closed') return true;
      if (current === 'open' || trialInFlight) return false;
      trialInFlight = true;
      return true;
    },
    success() {
      failures = 0;
      openedAt = undefined;
      trialInFlight = false;
    },
    failure() {
      failures += 1;
      if (trialInFlight || failures >= options.threshold) openedAt = now();
      trialInFlight = false;
    },
    get state() {
      return state();
    },
  };
}
