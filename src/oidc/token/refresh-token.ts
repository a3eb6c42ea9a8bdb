import { sha256Base64url } from '../../crypto/random.js';
import { InvalidGrant, InvalidRequest, InvalidScope } from '../../errors/oauth-errors.js';
import type { Client } from '../clients.js';
import type { OidcContext } from '../context.js';
import { decideRotation, type Family, type RotationDecision, type RotationView, type TokenRow } from '../refresh-tokens.js';
import { fallenDescription, fallenGrant } from '../revocation.js';
import { issueTokens, newAccessTokenJti, type TokenResponse } from './issue.js';
import { narrowResources } from './resources.js';

export interface RefreshParams {
  refreshToken: string | undefined;
  scope: string | undefined;
  resource: string[];
  /** Thumbprint of the request's DPoP key, if it sent a proof. */
  dpopJkt?: string | undefined;
}

/**
 * grant_type=refresh_token (RFC 6749 §6) with rotation (RFC 9700 §4.14.2):
 * requireToken → readToken → assertGrantStands → rotate (reuse: the family is revoked) → narrowScope →
 * narrowResources → issueTokens. Within the grace window a retried or parallel refresh gets the
 * same successor. Standing is checked before the rotation, so a refused refresh has used
 * nothing up and written no successor; a grant that falls in between is revoked in its row,
 * which the rotation reads under its lock.
 */
export async function refreshTokenGrant(ctx: OidcContext, client: Client, params: RefreshParams): Promise<TokenResponse> {
  const token = requireToken(params);
  const tokenHash = sha256Base64url(token);
  const found = await readToken(ctx, tokenHash);
  await assertGrantStands(ctx, client, found, params.dpopJkt);
  const { family, successor } = await rotate(ctx, client, token, tokenHash, found, params.dpopJkt);
  const scope = narrowScope(family.scope, params.scope);
  const audience = narrowResources(family.resource, params.resource);
  return issueTokens(ctx, { client, family, scope, audience, accessTokenJti: newAccessTokenJti(family.id), refreshToken: successor, dpopJkt: params.dpopJkt });
}

function requireToken(params: RefreshParams): string {
  if (!params.refreshToken) throw new InvalidRequest('refresh_token is required');
  return params.refreshToken;
}

/** The token and its family, read before any lock. */
type Found = { token: TokenRow; family: Family } | null;

/**
 * A token this process issued lately (the next link of a chain): its grant from the grant cache
 * (current within its bound, as /introspect reads it) and the token taken as unused, which the
 * conditional write then checks. Any other token, or a grant the cache does not know: both read
 * from Postgres.
 */
async function readToken(ctx: OidcContext, tokenHash: string): Promise<Found> {
  const familyId = ctx.recentRefreshTokens.take(tokenHash);
  const family = familyId === undefined ? null : await ctx.families.findFamily(familyId);
  if (family) return { token: { hash: tokenHash, expiresAt: family.expiresAt, usedAt: null, successorHash: null }, family };
  return ctx.families.findToken(tokenHash);
}

/**
 * The common case (the read found the token unused, its family live, its own client asking)
 * is one conditional write. Anything else, and a common case that lost a race to a parallel
 * refresh or a revocation, goes through the locked transaction, which reads and decides afresh:
 * the grace answer, reuse revoking the family, a refusal, exactly as without the shortcut.
 */
async function rotate(ctx: OidcContext, client: Client, token: string, tokenHash: string, found: Found, dpopJkt: string | undefined): Promise<{ family: Family; successor: string }> {
  const successor = ctx.successorOf(token);
  const successorHash = sha256Base64url(successor);
  const graceMs = ctx.config.refreshGraceSeconds * 1000;
  const now = ctx.now();
  const decide = (view: RotationView | null) => decideRotation(view, client.clientId, now, graceMs, successorHash, dpopJkt);
  if (found && decide({ ...found, successor: null }).action === 'rotate' && (await ctx.families.rotateUnused(tokenHash, successorHash, found.family.id, new Date(now)))) {
    ctx.recentRefreshTokens.remember(successorHash, found.family.id);
    return { family: found.family, successor };
  }
  const { decision, family } = await ctx.families.rotate(tokenHash, successorHash, new Date(now), decide);
  switch (decision.action) {
    case 'rotate':
    case 'grace':
      ctx.recentRefreshTokens.remember(successorHash, (family as Family).id);
      return { family: family as Family, successor };
    case 'revoke-family':
      if (family) await ctx.securityEvent({ type: 'refresh_token_reuse', clientId: client.clientId, familyId: family.id });
      throw new InvalidGrant('the refresh token was already used; every token of this grant is revoked');
    case 'refuse':
      throw new InvalidGrant(refusalDescription(decision.why, family));
  }
}

function refusalDescription(why: Extract<RotationDecision, { action: 'refuse' }>['why'], family: Family | null): string {
  if (why === 'expired') return 'the refresh token has expired';
  if (why === 'other_dpop_key') return 'the refresh token is bound to a DPoP key: send a DPoP proof signed with that key';
  // Only the client the grant is for gets here with 'revoked': why it ended helps its integrators (ids, no personal data).
  if (why === 'revoked' && family?.revokedReason) return `the refresh token is invalid or revoked: its grant ended (${family.revokedReason})`;
  return 'the refresh token is invalid or revoked';
}

/**
 * The ESIA account must still be allowed into the profile (link, activated, attached, region
 * enabled): a wrongly linked account an admin has unlinked gets nothing more. A fallen grant
 * is revoked whole, so its access tokens die at /userinfo and /introspect too. Only for a
 * token its own client presents (with its DPoP key, when bound) to a live family: anything
 * else the rotation refuses as before, and a stranger holding the token learns nothing.
 */
async function assertGrantStands(ctx: OidcContext, client: Client, found: Found, dpopJkt: string | undefined): Promise<void> {
  if (!found) return;
  const { family } = found;
  if (family.clientId !== client.clientId || family.revokedAt || (family.dpopJkt !== undefined && family.dpopJkt !== dpopJkt)) return;
  const fallen = await fallenGrant(ctx, family);
  if (fallen) throw new InvalidGrant(fallenDescription(fallen));
}

/** RFC 6749 §6: the new scope must not include anything not originally granted. */
function narrowScope(granted: string[], requested: string | undefined): string[] {
  if (requested === undefined) return granted;
  const asked = requested.split(' ').filter(Boolean);
  const extra = asked.filter((s) => !granted.includes(s));
  if (extra.length > 0) throw new InvalidScope('scope exceeds what was originally granted');
  return granted.filter((s) => asked.includes(s));
}
