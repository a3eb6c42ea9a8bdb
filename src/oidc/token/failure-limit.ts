import { OAuthError, SlowDown, UseDpopNonce } from '../../errors/oauth-errors.js';
import type { OidcContext } from '../context.js';
import { stateKeys } from '../state-keys.js';

/*
 * The client-authenticated endpoints (/token, /introspect, /revoke) count refused requests
 * only (wrong secrets, guessed codes, replayed tokens), per caller (client and address) per
 * minute, in the state store so every instance shares the count. Successful calls never count:
 * one diary backend behind one address may log in thousands of people a minute at the start
 * of a school day, and introspect on every API request.
 */
const WINDOW_MS = 60_000;

export async function limitFailures<T>(ctx: OidcContext, who: string, task: () => Promise<T>): Promise<T> {
  const window = Math.floor(ctx.now() / WINDOW_MS);
  const key = stateKeys.tokenRate(who, window);
  const failures = Number((await ctx.state.get(key)) ?? 0);
  if (failures >= ctx.config.tokenRateLimitPerMinute) {
    throw new SlowDown(`too many refused requests; retry in ${Math.ceil((WINDOW_MS - (ctx.now() % WINDOW_MS)) / 1000)} s`);
  }
  try {
    return await task();
  } catch (error) {
    // A DPoP nonce request is part of the protocol, not a refusal: a busy backend meets one per key and nonce slot.
    if (error instanceof OAuthError && !(error instanceof UseDpopNonce)) await ctx.state.increment(key, WINDOW_MS);
    throw error;
  }
}
