import { sha256Base64url } from '../crypto/random.js';
import { InvalidRequest, InvalidToken } from '../errors/oauth-errors.js';
import { audiences, verifyAccessToken, type AccessTokenClaims } from './access-tokens.js';
import type { Client } from './clients.js';
import type { OidcContext } from './context.js';
import type { Family } from './refresh-tokens.js';
import { fallenGrant, revokeAccessToken, revokeFamily } from './revocation.js';

type Found =
  | { kind: 'access'; claims: AccessTokenClaims }
  | { kind: 'refresh'; family: Family; active: boolean; response: Record<string, unknown> }
  | null;

/** Finds what a token is: one of our access tokens (JWT) or a refresh token (by its hash). */
async function find(ctx: OidcContext, token: string): Promise<Found> {
  if (token.split('.').length === 3) {
    try {
      return { kind: 'access', claims: await verifyAccessToken(ctx, token) };
    } catch (error) {
      if (error instanceof InvalidToken) return null;
      throw error;
    }
  }
  const found = await ctx.families.findToken(sha256Base64url(token));
  if (!found) return null;
  const { token: row, family } = found;
  const now = ctx.now();
  const active = !family.revokedAt && row.usedAt === null && row.expiresAt.getTime() > now && family.expiresAt.getTime() > now;
  return {
    kind: 'refresh',
    family,
    active,
    response: {
      active: true,
      token_type: 'refresh_token',
      client_id: family.clientId,
      sub: family.profileId,
      scope: family.scope.join(' '),
      exp: Math.floor(row.expiresAt.getTime() / 1000),
      iss: ctx.issuer,
      ...(family.dpopJkt ? { cnf: { jkt: family.dpopJkt } } : {}),
    },
  };
}

/**
 * The answer for an active access token, written once per claims object: the checked-token memory
 * hands out the same object for the same token, and a backend introspects that token on every API
 * call. Its standing is still checked each time.
 */
const activeAnswers = new WeakMap<AccessTokenClaims, string>();

function activeAnswer(claims: AccessTokenClaims): string {
  let answer = activeAnswers.get(claims);
  if (answer === undefined) {
    const { jti: _jti, ...visible } = claims;
    // RFC 9449 §6.2: a bound token introspects as token_type DPoP with its cnf.jkt (in visible).
    answer = JSON.stringify(Object.assign(visible, { active: true, token_type: claims.cnf?.jkt ? 'DPoP' : 'Bearer' }));
    activeAnswers.set(claims, answer);
  }
  return answer;
}

const INACTIVE = JSON.stringify({ active: false });

/**
 * POST /introspect (RFC 7662): requireToken → find → assertCallerMayKnow. A client learns only
 * about tokens issued to it or meant for it (its client_id in aud); anything else is inactive.
 * The answer comes as its JSON.
 */
export async function introspect(ctx: OidcContext, caller: Client, token: string | undefined): Promise<string> {
  if (!token) throw new InvalidRequest('token is required');
  const found = await find(ctx, token);
  if (found?.kind === 'access') {
    const { claims } = found;
    if (claims.client_id !== caller.clientId && !audiences(claims).includes(caller.clientId)) return INACTIVE;
    return activeAnswer(claims);
  }
  if (found?.kind !== 'refresh' || !found.active || found.family.clientId !== caller.clientId) return INACTIVE;
  // A refresh token whose grant fell (unlinked, deactivated, region off) is inactive, like its access tokens.
  return (await fallenGrant(ctx, found.family)) ? INACTIVE : JSON.stringify(found.response);
}

/**
 * POST /revoke (RFC 7009): a refresh token takes its whole family (and the access tokens issued
 * from it) down; an access token is revoked alone. Unknown or foreign tokens: 200 all the same.
 */
export async function revoke(ctx: OidcContext, caller: Client, token: string | undefined): Promise<void> {
  if (!token) throw new InvalidRequest('token is required');
  const found = await find(ctx, token);
  if (found?.kind === 'refresh' && found.family.clientId === caller.clientId) await revokeFamily(ctx, found.family.id, 'revoked_by_client');
  if (found?.kind === 'access' && found.claims.client_id === caller.clientId) await revokeAccessToken(ctx, found.claims.jti, found.claims.exp);
}
