/**
 * Fails fast while ESIA is down: after `threshold` consecutive outages (network errors,
 * timeouts, 5xx) calls are refused for `cooldownMs`; then one trial call decides whether the
 * circuit closes again or stays open for another cooldown.
 *
 * Every call allow() lets through must end in success() or failure(): the HTTP layer records
 * one of them in a `finally`. As a second guard a trial that never reports is given up after
 * another cooldown, so a lost trial can never hold the circuit open until a restart.
 */
export interface CircuitBreaker {
  /** True when a call may go out now (in half-open: only the one trial call). */
  allow(): boolean;
  /** ESIA answered (anything but an outage): closes the circuit. */
  success(): void;
  /** An outage: counts towards opening; a failed trial re-opens at once. */
  failure(): void;
  readonly state: 'closed' | 'open' | 'half-open';
}

export function createCircuitBreaker(options: { threshold: number; cooldownMs: number; now?: () => number }): CircuitBreaker {
  const now = options.now ?? Date.now;
  let failures = 0;
  let openedAt: number | undefined;
  let trialSince: number | undefined;
  const state = (): CircuitBreaker['state'] => (openedAt === undefined ? 'closed' : now() - openedAt >= options.cooldownMs ? 'half-open' : 'open');
  const trialInFlight = () => trialSince !== undefined && now() - trialSince < options.cooldownMs;
  return {
    allow() {
      const current = state();
      if (current === 'closed') return true;
      if (current === 'open' || trialInFlight()) return false;
      trialSince = now();
      return true;
    },
    success() {
      failures = 0;
      openedAt = undefined;
      trialSince = undefined;
    },
    failure() {
      failures += 1;
      if (trialSince !== undefined || failures >= options.threshold) openedAt = now();
      trialSince = undefined;
    },
    get state() {
      return state();
    },
  };
}
