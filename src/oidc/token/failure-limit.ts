import type { StoreKeyHash } from '../../crypto/store-key.js';
import { answeredStatus } from '../../errors/answered-as.js';
import { SlowDown, UseDpopNonce } from '../../errors/oauth-errors.js';
import type { StateStore } from '../../store/state-store.js';
import type { OidcContext } from '../context.js';
import { stateKeys } from '../state-keys.js';

/*
 * The client-authenticated endpoints (/token, /par, /introspect, /revoke) count refused
 * requests only (wrong secrets, guessed codes, replayed tokens), per caller (client and
 * address) per minute, in the state store so every instance shares the count. Successful calls
 * never count: one diary backend behind one address may log in thousands of people a minute at
 * the start of a school day, and introspect on every API request. Nor do our failures: a refusal
 * is a call answered 4xx (but use_dpop_nonce, part of the protocol); one answered 5xx (Postgres
 * or Redis down, a bug of ours) is not the caller's fault, and a backend calling through an
 * outage must not find its budget spent once we are back. The status is the one the error
 * handler sends (answeredStatus), so the two cannot disagree.
 *
 * Count first, check after (as the manual-link limiter): a call holds a slot counted in the
 * store before anything is checked, so parallel calls cannot all read "none refused yet" and
 * all go on to check a secret; with no slot to be had nothing is counted and nothing is checked
 * (slow_down). A refusal keeps its slot for good.
 *
 * Slots are leased per instance, so a steady caller costs no store round trip: an instance
 * keeps, per caller and window, the slots it has already counted in the store. A call takes a
 * free one of those, or else counts one more in the store (one atomic step, refused at the
 * limit). Any call but a refusal puts its slot back in this instance's pool, not in the store;
 * a refused call's slot leaves the pool and stays counted. Every SWEEP_MS the pool hands back
 * to the store the slots no call needed since the previous sweep (beyond the most held at
 * once), so a slot sits idle for 100-200 ms at most, and a pool with nothing leased goes.
 *
 * Invariant, per caller and window: count in the store = refusals + slots leased by all
 * instances ≤ limit, and every check in flight holds a leased slot. So, exactly as when every
 * call counted and gave back in the store, refusals across all instances never pass the limit
 * and a caller with the limit's worth of calls in flight meets slow_down. The one cost: slots an
 * instance holds idle for up to 200 ms are not free on another instance, which a caller only
 * notices at its limit. A store that errors while a slot must be counted makes the call fail
 * as before (503); a slot that cannot be handed back stays counted until its window ends (as a
 * give-back that failed did). A new window is a new key, so its calls start a new pool; the
 * old window's pool drains through the same sweep.
 */
const WINDOW_MS = 60_000;
/**
 * Why 100 ms: a backend calling every 100 ms or faster (anything that introspects per API call)
 * keeps its slots and pays no round trip, a rarer caller pays about what it did before (two per
 * call); and a slot idle that long is far below what any caller waits before retrying.
 */
const SWEEP_MS = 100;
/** Callers with a pool at once; beyond it slots go straight back (two round trips per call, as before). */
const MAX_POOLS = 10_000;

export interface FailureLimit {
  /** Runs task holding one of who's slots; slow_down (SlowDown) when none can be had. */
  run<T>(who: string, task: () => Promise<T>): Promise<T>;
  /** Hands every idle leased slot back to the store; later calls give theirs straight back. */
  close(): Promise<void>;
  /** Slots this instance leases now, in use or not. */
  leased(): number;
  /**
   * Settles once this instance leases no slot and every hand-back has been answered: from then
   * on the next call must count its slot in the store. For tests of a store outage.
   */
  idle(): Promise<void>;
  /**
   * No sweep hands a slot back until the returned function is called: a slot leased now stays
   * leased however slow the machine. For tests that need a slot held through a store outage.
   */
  holdLeases(): () => void;
}

export interface FailureLimitOptions {
  state: StateStore;
  now: () => number;
  storeKey: StoreKeyHash;
  /** Refusals per caller per minute (OIDC_TOKEN_RATE_LIMIT_PER_MINUTE). */
  limit: number;
  sweepMs?: number;
  maxPools?: number;
}

interface Pool {
  /** The store's counter: the caller's keyed hash and the window. */
  readonly key: string;
  /** Leased and not in use. */
  free: number;
  /** Leased and held by a call in flight. */
  busy: number;
  /** Calls waiting for the store to count one more. */
  reserving: number;
  /** The most slots busy at once since the last sweep: what the pool keeps. */
  peak: number;
}

export function createFailureLimit(options: FailureLimitOptions): FailureLimit {
  const { state, now, storeKey, limit } = options;
  const sweepMs = options.sweepMs ?? SWEEP_MS;
  const maxPools = options.maxPools ?? MAX_POOLS;
  const pools = new Map<string, Pool>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let holds = 0;
  /** Every hand-back begun so far, settled or not. */
  let handingBack: Promise<unknown> = Promise.resolve();
  const idleWaiters: Array<() => void> = [];

  // An answer must not turn into an error because a slot could not be given back: at worst it stays counted.
  const handBack = (key: string, slots: number) =>
    Promise.all(Array.from({ length: slots }, () => Promise.resolve().then(() => state.decrement(key)).catch(() => undefined)));

  function sweep(everything = false): Promise<unknown> {
    timer = undefined;
    if (holds > 0 && !everything) {
      if (!closed) armSweep();
      return handingBack;
    }
    const handedBack: Array<Promise<unknown>> = [];
    for (const [id, pool] of pools) {
      const surplus = everything ? pool.free : Math.min(pool.free, pool.free + pool.busy - pool.peak);
      if (surplus > 0) {
        pool.free -= surplus;
        handedBack.push(handBack(pool.key, surplus));
      }
      pool.peak = pool.busy;
      if (pool.free + pool.busy + pool.reserving === 0) pools.delete(id);
    }
    if (pools.size > 0 && !closed) armSweep();
    // Only the settling is kept, not the results: a long chain of them would grow without end.
    if (handedBack.length > 0) handingBack = Promise.all([handingBack, ...handedBack]).then(() => undefined);
    if (pools.size === 0) for (const wake of idleWaiters.splice(0)) wake();
    return handingBack;
  }

  function armSweep() {
    if (timer) return;
    timer = setTimeout(sweep, sweepMs);
    // Someone waiting for idle keeps the process up until it is.
    if (idleWaiters.length === 0) timer.unref();
  }

  /** Counts one more slot in the store for pool's caller, or slow_down. */
  async function reserve(pool: Pool): Promise<void> {
    pool.reserving += 1;
    try {
      const reserved = await state.incrementAllBelow([{ key: pool.key, limit, windowMs: WINDOW_MS }]);
      if (!reserved.counted) {
        // A call of ours may have ended while the store answered: its slot is as good.
        if (pool.free > 0) {
          pool.free -= 1;
          return;
        }
        throw new SlowDown(`too many refused requests; retry in ${Math.ceil((WINDOW_MS - (now() % WINDOW_MS)) / 1000)} s`);
      }
    } finally {
      pool.reserving -= 1;
    }
  }

  return {
    async run(who, task) {
      const window = Math.floor(now() / WINDOW_MS);
      const id = `${window} ${who}`;
      let pool = pools.get(id);
      if (!pool) {
        pool = { key: stateKeys.tokenRate(storeKey(who), window), free: 0, busy: 0, reserving: 0, peak: 0 };
        pools.set(id, pool);
        if (!closed) armSweep();
      }
      if (pool.free > 0) pool.free -= 1;
      else await reserve(pool);
      pool.busy += 1;
      if (pool.busy > pool.peak) pool.peak = pool.busy;
      let refused = false;
      try {
        return await task();
      } catch (error) {
        refused = !(error instanceof UseDpopNonce) && answeredStatus(error) < 500;
        throw error;
      } finally {
        pool.busy -= 1;
        // A refused call's slot stays counted in the store: the refusal it checked.
        if (!refused) {
          if (closed || pools.size > maxPools) await handBack(pool.key, 1);
          else pool.free += 1;
        }
      }
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await sweep(true);
      for (const wake of idleWaiters.splice(0)) wake();
    },
    leased() {
      let slots = 0;
      for (const pool of pools.values()) slots += pool.free + pool.busy;
      return slots;
    },
    async idle() {
      // After close no sweep runs: whatever is left goes back as its call ends.
      if (pools.size > 0 && !closed) {
        timer?.ref();
        await new Promise<void>((resolve) => idleWaiters.push(resolve));
      }
      await handingBack;
    },
    holdLeases() {
      holds += 1;
      let released = false;
      return () => {
        if (!released) holds -= 1;
        released = true;
      };
    },
  };
}

/** Runs task under ctx's failure limit (see above). */
export function limitFailures<T>(ctx: OidcContext, who: string, task: () => Promise<T>): Promise<T> {
  return ctx.failureLimit.run(who, task);
}
