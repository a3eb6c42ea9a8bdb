import { errors, type JWTPayload } from 'jose';
import { z } from 'zod';
import { verifyJwt, type VerificationKey } from '../crypto/jws.js';
import { InvalidToken } from '../errors/oauth-errors.js';
import type { OidcContext } from './context.js';
import type { Family } from './refresh-tokens.js';
import { fallenDescription, fallenGrant, isAccessTokenRevoked } from './revocation.js';
import { familyOfJti } from './token/issue.js';

const accessTokenClaims = z.object({
  iss: z.string(),
  sub: z.string(),
  aud: z.union([z.string(), z.array(z.string())]),
  client_id: z.string(),
  exp: z.number(),
  iat: z.number(),
  jti: z.string(),
  scope: z.string(),
  auth_time: z.number(),
  acr: z.string(),
  /** RFC 9449 §6.1: the DPoP key the token is bound to. */
  cnf: z.object({ jkt: z.string() }).optional(),
});
export type AccessTokenClaims = z.infer<typeof accessTokenClaims> & JWTPayload;

/**
 * Verifies one of our access tokens: signature with our published keys, typ, issuer, expiry,
 * revocation, and that its grant still stands (assertGrantStands).
 */
export async function verifyAccessToken(ctx: OidcContext, token: string): Promise<AccessTokenClaims> {
  const claims = signedClaims(ctx, await ctx.keys.verificationKeys(), token);
  const { jti } = claims;
  // One round trip to each store at once (none while the grant cache holds both): the token's own revocation mark and the family's row.
  const [revoked, family] = await Promise.all([isAccessTokenRevoked(ctx, jti), ctx.families.findFamily(familyOfJti(jti))]);
  if (revoked) throw new InvalidToken('the access token has been revoked');
  await assertGrantStands(ctx, family);
  // The remembered claims themselves, frozen (no copy per call): introspection keys its answer on them.
  return claims;
}

/**
 * Tokens whose signature, header, issuer and claims already checked out, per key set: a diary
 * backend introspects the same token on every API call, and the signature check was the largest
 * cost left on that path. Only what cannot change is remembered: exp and nbf are checked again
 * at every use, and a new key set (a rotation, a key withdrawn) starts empty. Bounded, the oldest
 * going first; refused tokens are never kept.
 */
const checkedTokens = new WeakMap<VerificationKey[], Map<string, AccessTokenClaims>>();
const MAX_CHECKED_TOKENS = 10_000;

function signedClaims(ctx: OidcContext, keys: VerificationKey[], token: string): AccessTokenClaims {
  let checked = checkedTokens.get(keys);
  const known = checked?.get(token);
  if (known) {
    const now = Math.floor(ctx.now() / 1000);
    if (known.exp <= now) throw new InvalidToken('the access token has expired');
    if (typeof known.nbf === 'number' && known.nbf > now) throw new InvalidToken('the access token is not valid');
    return known;
  }
  let payload: JWTPayload;
  try {
    payload = verifyJwt(token, keys, {
      issuer: ctx.issuer,
      typ: 'at+jwt',
      algorithms: ['ES256', 'RS256'],
      currentDate: new Date(ctx.now()),
    });
  } catch (error) {
    if (error instanceof errors.JOSEError) throw new InvalidToken(error instanceof errors.JWTExpired ? 'the access token has expired' : 'the access token is not valid');
    throw error;
  }
  const parsed = accessTokenClaims.safeParse(payload);
  if (!parsed.success) throw new InvalidToken('the access token is not valid');
  // Object.assign, not a spread: V8 gives a frozen object made by an (optimised) spread a hidden
  // class of its own, so the 10,000 remembered tokens held 10,000 classes (10 MB) and more GC.
  const claims: AccessTokenClaims = Object.freeze(Object.assign({}, payload, parsed.data));
  if (claims.cnf) Object.freeze(claims.cnf);
  if (!checked) checkedTokens.set(keys, (checked = new Map()));
  if (checked.size >= MAX_CHECKED_TOKENS) checked.delete(checked.keys().next().value as string);
  checked.set(token, claims);
  return claims;
}

/**
 * The token's family is read from the database, which alone says whether it was revoked: an unlink,
 * an import or a profile deletion revokes (or deletes) families in its own transaction, and
 * the esia-broker command has no state store at all. Then the grant must still stand.
 */
async function assertGrantStands(ctx: OidcContext, family: Family | null): Promise<void> {
  if (!family) throw new InvalidToken('the access token has been revoked');
  if (family.revokedAt) throw new InvalidToken(`the access token has been revoked: its grant ended (${family.revokedReason ?? 'revoked'})`);
  const fallen = await fallenGrant(ctx, family);
  if (fallen) throw new InvalidToken(fallenDescription(fallen));
}

export function audiences(claims: AccessTokenClaims): string[] {
  return Array.isArray(claims.aud) ? claims.aud : [claims.aud];
}
