import type { GrantRefusal, OidcContext } from './context.js';
import type { Family } from './refresh-tokens.js';
import { grantKeys } from './grant-cache.js';
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
}

export async function revokeAccessToken(ctx: OidcContext, jti: string, expiresAtSeconds: number): Promise<void> {
  const ttlMs = expiresAtSeconds * 1000 - ctx.now() + 60_000;
  if (ttlMs <= 0) return;
  await ctx.state.put(stateKeys.revokedAccessToken(jti), reasonless, ttlMs);
  // No trigger sees a Redis mark: every replica's cached "not revoked" is dropped by this notice.
  await ctx.grantCache.announce(grantKeys.revokedAccessToken(jti));
}

/** An access token revoked alone (RFC 7009); a revoked family is read from its row (access-tokens.ts). */
export async function isAccessTokenRevoked(ctx: OidcContext, jti: string): Promise<boolean> {
  return ctx.grantCache.read(grantKeys.revokedAccessToken(jti), async () => (await ctx.state.get(stateKeys.revokedAccessToken(jti))) !== null);
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
