import { InsufficientScope, InvalidToken } from '../errors/oauth-errors.js';
import { verifyAccessToken } from './access-tokens.js';
import { userClaims } from './claims.js';
import type { OidcContext } from './context.js';

/**
 * GET|POST /userinfo (OIDC Core §5.3): verifyAccessToken → assertOpenidScope → loadProfile →
 * claims by scope. Tokens with a resource audience (RFC 8707) are accepted too: the resources
 * a client may name are its own registered backends, part of the same diary.
 */
export async function userinfo(ctx: OidcContext, accessToken: string | undefined): Promise<Record<string, unknown>> {
  if (!accessToken) throw new InvalidToken('a bearer access token is required');
  const claims = await verifyAccessToken(ctx, accessToken);
  const scope = claims.scope.split(' ');
  if (!scope.includes('openid')) throw new InsufficientScope('the access token lacks the openid scope');
  const profile = await ctx.directory.findById(claims.sub);
  if (!profile) throw new InvalidToken('the diary profile of this token no longer exists');
  return userClaims(profile, scope);
}
