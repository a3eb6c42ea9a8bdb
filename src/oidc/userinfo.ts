import { InsufficientScope, InvalidDpopProof, InvalidToken } from '../errors/oauth-errors.js';
import { verifyAccessToken, type AccessTokenClaims } from './access-tokens.js';
import { userClaims } from './claims.js';
import { endpoints, type OidcContext } from './context.js';
import { verifyDpopProof } from './dpop.js';

/** An access token as a protected resource receives it (RFC 6750 §2, RFC 9449 §7). */
export interface PresentedAccessToken {
  token: string | undefined;
  /** `DPoP` for `Authorization: DPoP <token>`; `Bearer` for the Bearer header or the form field. */
  scheme: 'Bearer' | 'DPoP';
  /** The DPoP header, if any. */
  proof: string | string[] | undefined;
  method: string;
}

/** A DPoP-bound access token presented as a bearer token: refused with a DPoP challenge (RFC 9449 §7.2). */
export class BoundTokenAsBearer extends InvalidToken {}

/**
 * GET|POST /userinfo (OIDC Core §5.3): verifyAccessToken → assertSenderConstraint (DPoP) →
 * assertOpenidScope → loadProfile → claims by scope. Tokens with a resource audience
 * (RFC 8707) are accepted too: the resources a client may name are its own registered
 * backends, part of the same diary.
 */
export async function userinfo(ctx: OidcContext, presented: PresentedAccessToken): Promise<Record<string, unknown>> {
  if (!presented.token) throw new InvalidToken('an access token is required');
  const claims = await verifyAccessToken(ctx, presented.token);
  await assertSenderConstraint(ctx, claims, presented);
  const scope = claims.scope.split(' ');
  if (!scope.includes('openid')) throw new InsufficientScope('the access token lacks the openid scope');
  const profile = await ctx.directory.findById(claims.sub);
  if (!profile) throw new InvalidToken('the diary profile of this token no longer exists');
  return userClaims(profile, scope);
}

/** RFC 9449 §7: a bound token needs the DPoP scheme and a proof by its key naming it (ath). */
async function assertSenderConstraint(ctx: OidcContext, claims: AccessTokenClaims, presented: PresentedAccessToken): Promise<void> {
  const bound = claims.cnf?.jkt;
  if (presented.scheme === 'Bearer') {
    if (bound) throw new BoundTokenAsBearer('the access token is DPoP-bound: present it as Authorization: DPoP with a DPoP proof');
    return;
  }
  if (!bound) throw new InvalidToken('the access token is not DPoP-bound: present it as a Bearer token');
  const jkt = await verifyDpopProof(ctx, { header: presented.proof, method: presented.method, url: endpoints(ctx.issuer).userinfo, accessToken: presented.token, refusalStatus: 401 });
  if (jkt !== bound) throw new InvalidDpopProof('the DPoP proof is signed with another key than the one the access token is bound to', 401);
}
