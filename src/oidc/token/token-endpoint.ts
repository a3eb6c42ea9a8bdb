import { InvalidRequest, UnauthorizedClient, UnsupportedGrantType } from '../../errors/oauth-errors.js';
import { endpoints, type OidcContext } from '../context.js';
import { verifyDpopProof } from '../dpop.js';
import { authorizationCodeGrant } from './authorization-code.js';
import { limitFailures } from './failure-limit.js';
import { authenticateClient, claimedClientId, type PresentedCredentials } from './client-auth.js';
import type { TokenResponse } from './issue.js';
import { refreshTokenGrant } from './refresh-token.js';

export interface TokenRequest {
  grantType: string | undefined;
  code: string | undefined;
  redirectUri: string | undefined;
  codeVerifier: string | undefined;
  refreshToken: string | undefined;
  scope: string | undefined;
  resource: string[];
  credentials: PresentedCredentials;
  /** The DPoP header (RFC 9449), if any: binds the tokens to the proof's key. */
  dpopProof: string | string[] | undefined;
  /** Who is asking, for the rate limit when no client id is given. */
  remoteAddress: string;
}

/** POST /token: authenticateClient → verifyDpopProof (when sent) → the grant, under the failure limit. */
export async function tokenEndpoint(ctx: OidcContext, request: TokenRequest): Promise<TokenResponse> {
  // Keyed by client and address: one noisy caller cannot use up a client's allowance everywhere.
  const who = `${claimedClientId(request.credentials) ?? '-'}@${request.remoteAddress}`;
  return limitFailures(ctx, who, () => grant(ctx, request));
}

async function grant(ctx: OidcContext, request: TokenRequest): Promise<TokenResponse> {
  const client = await authenticateClient(ctx, request.credentials);
  const dpopJkt = request.dpopProof === undefined ? undefined : await verifyDpopProof(ctx, { header: request.dpopProof, method: 'POST', url: endpoints(ctx.issuer).token });
  switch (request.grantType) {
    case 'authorization_code':
      return authorizationCodeGrant(ctx, client, { ...request, dpopJkt });
    case 'refresh_token':
      if (client.refreshTokenTtlSeconds === 0) throw new UnauthorizedClient('this client may not use refresh tokens');
      return refreshTokenGrant(ctx, client, { ...request, dpopJkt });
    case undefined:
      throw new InvalidRequest('grant_type is required');
    default:
      throw new UnsupportedGrantType('grant_type must be authorization_code or refresh_token');
  }
}
