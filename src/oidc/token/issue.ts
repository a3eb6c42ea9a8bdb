import { createHash } from 'node:crypto';
import { randomToken } from '../../crypto/random.js';
import { signJwt } from '../../crypto/jwt.js';
import { InvalidGrant } from '../../errors/oauth-errors.js';
import { authenticationClaims, diaryClaims } from '../claims.js';
import type { Client } from '../clients.js';
import { nowSeconds, type OidcContext } from '../context.js';
import type { Family } from '../refresh-tokens.js';

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  scope: string;
  id_token?: string;
  refresh_token?: string;
}

export interface IssueInput {
  client: Client;
  family: Family;
  /** Granted scope (possibly narrowed from the family's). */
  scope: string[];
  /** RFC 8707 resources the access token is for; none: the client itself. */
  audience: string[];
  /** jti of the access token: `<family id>.<random>`, so revoking the family finds it. */
  accessTokenJti: string;
  nonce?: string | undefined;
  refreshToken?: string | undefined;
  /** RFC 9449 §6: binds the access token to this DPoP key thumbprint (cnf.jkt), token_type DPoP. */
  dpopJkt?: string | undefined;
}

export function newAccessTokenJti(familyId: string): string {
  return `${familyId}.${randomToken(12)}`;
}

export function familyOfJti(jti: string): string {
  return jti.split('.')[0] ?? '';
}

/** Signs the access token (RFC 9068) and the id_token (OIDC Core §2) for a family. */
export async function issueTokens(ctx: OidcContext, input: IssueInput): Promise<TokenResponse> {
  const { client, family } = input;
  const profile = await ctx.directory.findById(family.profileId);
  if (!profile) throw new InvalidGrant('the diary profile of this grant no longer exists');
  const iat = nowSeconds(ctx);
  const auth = authenticationClaims(family.level, family.authTime);
  const scope = input.scope.join(' ');

  const accessToken = await signJwt(
    {
      iss: ctx.issuer,
      sub: profile.id,
      aud: input.audience.length === 0 ? client.clientId : input.audience.length === 1 ? input.audience[0] : input.audience,
      client_id: client.clientId,
      iat,
      exp: iat + ctx.config.accessTokenTtlSeconds,
      jti: input.accessTokenJti,
      scope,
      ...auth,
      ...(input.scope.includes('diary') ? diaryClaims(profile) : {}),
      ...(input.dpopJkt ? { cnf: { jkt: input.dpopJkt } } : {}),
    },
    await ctx.keys.signingKey('ES256'),
    'at+jwt',
  );

  const response: TokenResponse = { access_token: accessToken, token_type: input.dpopJkt ? 'DPoP' : 'Bearer', expires_in: ctx.config.accessTokenTtlSeconds, scope };
  if (input.scope.includes('openid')) {
    response.id_token = await signJwt(
      {
        iss: ctx.issuer,
        sub: profile.id,
        aud: client.clientId,
        azp: client.clientId,
        iat,
        exp: iat + ctx.config.idTokenTtlSeconds,
        ...auth,
        ...(input.nonce !== undefined ? { nonce: input.nonce } : {}),
        ...(family.sessionSid ? { sid: family.sessionSid } : {}),
        at_hash: leftHalfHash(accessToken),
      },
      await ctx.keys.signingKey(client.idTokenAlg),
      'JWT',
    );
  }
  if (input.refreshToken) response.refresh_token = input.refreshToken;
  return response;
}

/** OIDC Core §3.1.3.6: base64url of the left half of SHA-256 (ES256 and RS256 both hash with it). */
function leftHalfHash(value: string): string {
  const digest = createHash('sha256').update(value, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}
