import { SlowDown, UnauthorizedClient, UnsupportedGrantType, InvalidRequest } from '../../errors/oauth-errors.js';
import type { OidcContext } from '../context.js';
import { stateKeys } from '../state-keys.js';
import { authorizationCodeGrant } from './authorization-code.js';
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
  /** Who is asking, for the rate limit when no client id is given. */
  remoteAddress: string;
}

/** POST /token: rateLimit → authenticateClient → the grant. */
export async function tokenEndpoint(ctx: OidcContext, request: TokenRequest): Promise<TokenResponse> {
  // Keyed by client and address: one noisy caller cannot use up a client's allowance everywhere.
  await rateLimit(ctx, `${claimedClientId(request.credentials) ?? '-'}@${request.remoteAddress}`);
  const client = await authenticateClient(ctx, request.credentials);
  switch (request.grantType) {
    case 'authorization_code':
      return authorizationCodeGrant(ctx, client, request);
    case 'refresh_token':
      if (client.refreshTokenTtlSeconds === 0) throw new UnauthorizedClient('this client may not use refresh tokens');
      return refreshTokenGrant(ctx, client, request);
    case undefined:
      throw new InvalidRequest('grant_type is required');
    default:
      throw new UnsupportedGrantType('grant_type must be authorization_code or refresh_token');
  }
}

/** Per client and address per minute, counted in the state store so every instance shares it. */
export async function rateLimit(ctx: OidcContext, who: string): Promise<void> {
  const windowMs = 60_000;
  const window = Math.floor(ctx.now() / windowMs);
  const count = await ctx.state.increment(stateKeys.tokenRate(who, window), windowMs);
  if (count > ctx.config.tokenRateLimitPerMinute) {
    throw new SlowDown(`too many token requests; retry in ${Math.ceil((windowMs - (ctx.now() % windowMs)) / 1000)} s`);
  }
}
