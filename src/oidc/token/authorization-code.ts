import { createHash } from 'node:crypto';
import { randomToken, safeEqual, sha256Base64url } from '../../crypto/random.js';
import { InvalidGrant, InvalidRequest } from '../../errors/oauth-errors.js';
import { isPublicClient, type Client } from '../clients.js';
import type { CodeGrant } from '../codes.js';
import type { OidcContext } from '../context.js';
import type { Family } from '../refresh-tokens.js';
import { fallenDescription, revokeAccessToken, revokeFamily } from '../revocation.js';
import { issueTokens, newAccessTokenJti, type TokenResponse } from './issue.js';
import { narrowResources } from './resources.js';

export interface AuthorizationCodeParams {
  code: string | undefined;
  redirectUri: string | undefined;
  codeVerifier: string | undefined;
  resource: string[];
  /** Thumbprint of the request's DPoP key: the access token is bound to it, and a public client's refresh tokens too. */
  dpopJkt?: string | undefined;
}

/**
 * grant_type=authorization_code (RFC 6749 §4.1.3, RFC 7636 §4.6), the client already
 * authenticated: requireParams → redeem (atomic take for the code's own client and redirect_uri;
 * absent: refuseUsedCode) → assertNotExpired → assertSameClient → assertRedirectUri → checkPkce →
 * assertProfileStillOpen → narrowResources → openFamily → recordRedemption → issueTokens.
 *
 * Which failures consume the code: none before the code's own client is established, so a
 * code seen by someone else (another client, even a public one that only names a client_id)
 * cannot be burnt, and its replay revokes nothing. From the code's own client a wrong
 * redirect_uri leaves the code alone (a misconfiguration, no secret involved), while any PKCE
 * failure burns it: the code is in hands that lack the verifier (RFC 9700 §4.5, §2.1.1). The
 * code is taken before PKCE is checked, in the same step that reads it, so it costs one
 * state-store round trip; an expired one its own client presents goes too (it could never be
 * redeemed anyway).
 */
export async function authorizationCodeGrant(ctx: OidcContext, client: Client, params: AuthorizationCodeParams): Promise<TokenResponse> {
  const { code, redirectUri } = requireParams(params);
  // Atomic: of two concurrent redemptions exactly one takes the grant.
  const redeemed = await ctx.codes.redeem(code, { clientId: client.clientId, redirectUri });
  if (!redeemed) return refuseUsedCode(ctx, client, code);
  const { grant, taken } = redeemed;
  assertNotExpired(ctx, grant);
  assertSameClient(grant, client);
  assertRedirectUri(grant, redirectUri);
  // Client and redirect_uri match, so only a grant whose fields are not strings is left untaken.
  if (!taken) throw new InvalidGrant('the authorization code is invalid or has expired');
  checkPkce(grant, params.codeVerifier);
  await assertProfileStillOpen(ctx, grant);
  const audience = narrowResources(grant.resource, params.resource);
  const refreshToken = client.refreshTokenTtlSeconds > 0 ? randomToken(32) : undefined;
  const tokenHash = refreshToken ? sha256Base64url(refreshToken) : undefined;
  const family = await openFamily(ctx, client, grant, params.dpopJkt, tokenHash);
  if (tokenHash) ctx.recentRefreshTokens.remember(tokenHash, family.id);
  const accessTokenJti = newAccessTokenJti(family.id);
  await ctx.codes.recordRedemption(code, {
    clientId: client.clientId,
    familyId: family.id,
    accessTokenJti,
    accessTokenExpiresAt: Math.floor(ctx.now() / 1000) + ctx.config.accessTokenTtlSeconds,
  });
  return issueTokens(ctx, { client, family, scope: grant.scope, audience, accessTokenJti, nonce: grant.nonce, refreshToken, dpopJkt: params.dpopJkt });
}

/**
 * The link, the profile or its region may have changed in the seconds since the code was
 * issued (an admin unlink, an import): then nothing is issued, as a refresh would refuse too.
 */
async function assertProfileStillOpen(ctx: OidcContext, grant: CodeGrant): Promise<void> {
  const closed = await ctx.grantStanding?.(grant.esiaOid, grant.profileId);
  if (closed) throw new InvalidGrant(fallenDescription(closed));
}

function requireParams(params: AuthorizationCodeParams): { code: string; redirectUri: string } {
  if (!params.code) throw new InvalidRequest('code is required');
  if (!params.redirectUri) throw new InvalidRequest('redirect_uri is required');
  return { code: params.code, redirectUri: params.redirectUri };
}

/**
 * The code is not (or no longer) there. RFC 6749 §4.1.2: a code used twice revokes every token
 * issued from it, but only when its own client replays it; anyone else learns nothing.
 */
async function refuseUsedCode(ctx: OidcContext, client: Client, code: string): Promise<never> {
  const redemption = await ctx.codes.findRedemption(code);
  if (redemption && redemption.clientId === client.clientId) {
    await revokeFamily(ctx, redemption.familyId, 'code_replay');
    await revokeAccessToken(ctx, redemption.accessTokenJti, redemption.accessTokenExpiresAt);
    await ctx.securityEvent({ type: 'code_replay', clientId: client.clientId, familyId: redemption.familyId });
    throw new InvalidGrant('the authorization code has already been used; the tokens issued from it are revoked');
  }
  throw new InvalidGrant('the authorization code is invalid or has expired');
}

function assertNotExpired(ctx: OidcContext, grant: CodeGrant): void {
  if (grant.expiresAt <= ctx.now()) throw new InvalidGrant('the authorization code is invalid or has expired');
}

function assertSameClient(grant: CodeGrant, client: Client): void {
  if (grant.clientId !== client.clientId) throw new InvalidGrant('the authorization code was issued to another client');
}

function assertRedirectUri(grant: CodeGrant, redirectUri: string): void {
  if (grant.redirectUri !== redirectUri) throw new InvalidGrant('redirect_uri does not match the authorization request');
}

/** RFC 7636 §4.6 with S256 only; a verifier without a challenge is refused (RFC 9700 §2.1.1). */
function checkPkce(grant: CodeGrant, verifier: string | undefined): void {
  if (grant.codeChallenge === undefined) {
    if (verifier !== undefined) throw new InvalidGrant('code_verifier given but the authorization request had no code_challenge');
    return;
  }
  if (verifier === undefined) throw new InvalidGrant('code_verifier is required');
  if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) throw new InvalidGrant('code_verifier is malformed');
  const challenge = createHash('sha256').update(verifier, 'ascii').digest('base64url');
  if (!safeEqual(challenge, grant.codeChallenge)) throw new InvalidGrant('code_verifier does not match the code_challenge');
}

/**
 * The grant's family, written with its first refresh token (when the client gets one) in one
 * round trip, both or neither. RFC 9449 §5: a public client's refresh tokens are bound to its
 * DPoP key (it has no other credential); a confidential client's are bound to its
 * authentication, and each of its refreshes may bind the new access token to whichever key its
 * proof carries.
 */
async function openFamily(ctx: OidcContext, client: Client, grant: CodeGrant, dpopJkt: string | undefined, firstTokenHash: string | undefined): Promise<Family> {
  const ttlSeconds = Math.max(client.refreshTokenTtlSeconds, ctx.config.accessTokenTtlSeconds);
  const family: Family = {
    id: randomToken(16),
    clientId: client.clientId,
    profileId: grant.profileId,
    esiaOid: grant.esiaOid,
    level: grant.level,
    authTime: grant.authTime,
    scope: grant.scope,
    resource: grant.resource,
    sessionSid: grant.sessionSid,
    dpopJkt: isPublicClient(client) ? dpopJkt : undefined,
    expiresAt: new Date(ctx.now() + ttlSeconds * 1000),
    revokedAt: null,
    revokedReason: null,
  };
  await ctx.families.createFamily(family, firstTokenHash);
  return family;
}
