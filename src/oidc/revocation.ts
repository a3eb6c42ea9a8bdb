import type { GrantRefusal, OidcContext } from './context.js';
import type { Family } from './refresh-tokens.js';
import { familyOfJti } from './token/issue.js';
import { stateKeys } from './state-keys.js';

/**
 * Revocation of what we issued. Refresh tokens die with their family in Postgres; access
 * tokens are self-contained JWTs, so /userinfo and /introspect check their family's row (which
 * unlinks and imports revoke in their own transaction) and, for an access token revoked alone,
 * a mark in the state store kept until it expires. Backends validating locally with JWKS see
 * it only when they introspect: keep access tokens short.
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

/**
 * A grant stands while its ESIA account may still enter its profile (ctx.grantStanding): not
 * unlinked, deleted, deactivated, detached, or in a region switched off. A grant that fell is
 * revoked here for good, so linking the profile again later brings no old token back.
 * Returns why it fell, or undefined while it stands.
 */
export async function fallenGrant(ctx: OidcContext, family: Family): Promise<GrantRefusal | undefined> {
  const refusal = await ctx.grantStanding?.(family.esiaOid, family.profileId);
  if (refusal) await revokeFamily(ctx, family.id, refusal.detail);
  return refusal;
}

/** What the client is told about a fallen grant: the reason code first, as every refusal. */
export function fallenDescription(refusal: GrantRefusal): string {
  return `${refusal.reason} (${refusal.detail}): this ESIA account may no longer enter the diary profile of this grant; sign in again`;
}

const reasonless = '1';
