import { OAuthError, SlowDown, UseDpopNonce } from '../../errors/oauth-errors.js';
import type { OidcContext } from '../context.js';
import { stateKeys } from '../state-keys.js';

/*
 * The client-authenticated endpoints (/token, /introspect, /revoke) count refused requests
 * only (wrong secrets, guessed codes, replayed tokens), per caller (client and address) per
 * minute, in the state store so every instance shares the count. Successful calls never count:
 * one diary backend behind one address may log in thousands of people a minute at the start
 * of a school day, and introspect on every API request.
 *
 * Count first, check after (as the manual-link limiter): a call takes a slot in one atomic
 * step before anything is checked, so parallel calls cannot all read "none refused yet" and
 * all go on to check a secret; at the limit nothing is counted and nothing is checked. A call
 * that is answered, or fails on our side, gives its slot back; only refusals keep it. So a
 * caller with the limit's worth of calls in flight at once meets slow_down too.
 */
const WINDOW_MS = 60_000;

export async function limitFailures<T>(ctx: OidcContext, who: string, task: () => Promise<T>): Promise<T> {
  const window = Math.floor(ctx.now() / WINDOW_MS);
  const key = stateKeys.tokenRate(ctx.storeKey(who), window);
  const reserved = await ctx.state.incrementAllBelow([{ key, limit: ctx.config.tokenRateLimitPerMinute, windowMs: WINDOW_MS }]);
  if (!reserved.counted) {
    throw new SlowDown(`too many refused requests; retry in ${Math.ceil((WINDOW_MS - (ctx.now() % WINDOW_MS)) / 1000)} s`);
  }
  // An answer must not turn into an error because the slot could not be given back: at worst it stays counted.
  const giveBack = () => ctx.state.decrement(key).catch(() => undefined);
  let result: T;
  try {
    result = await task();
  } catch (error) {
    // A DPoP nonce request is part of the protocol, not a refusal: a busy backend meets one per key and nonce slot.
    if (!(error instanceof OAuthError) || error instanceof UseDpopNonce) await giveBack();
    throw error;
  }
  await giveBack();
  return result;
}
