import type { OidcContext } from './context.js';
import { familyOfJti } from './token/issue.js';
import { stateKeys } from './state-keys.js';

/**
 * Revocation of what we issued. Refresh tokens die with their family in Postgres; access
 * tokens are self-contained JWTs, so their revocation is remembered in the state store until
 * they expire and checked by /userinfo and /introspect (backends validating locally with JWKS
 * see it only when they introspect: keep access tokens short).
 */
export async function revokeFamily(ctx: OidcContext, familyId: string, reason: string): Promise<void> {
  await ctx.families.revokeFamily(familyId, reason);
  await rememberFamilyRevoked(ctx, familyId);
}

export async function rememberFamilyRevoked(ctx: OidcContext, familyId: string): Promise<void> {
  await ctx.state.put(stateKeys.revokedFamily(familyId), reasonless, (ctx.config.accessTokenTtlSeconds + 60) * 1000);
}

export async function revokeAccessToken(ctx: OidcContext, jti: string, expiresAtSeconds: number): Promise<void> {
  const ttlMs = expiresAtSeconds * 1000 - ctx.now() + 60_000;
  if (ttlMs > 0) await ctx.state.put(stateKeys.revokedAccessToken(jti), reasonless, ttlMs);
}

export async function isAccessTokenRevoked(ctx: OidcContext, jti: string): Promise<boolean> {
  const [token, family] = await Promise.all([ctx.state.get(stateKeys.revokedAccessToken(jti)), ctx.state.get(stateKeys.revokedFamily(familyOfJti(jti)))]);
  return token !== null || family !== null;
}

const reasonless = '1';
