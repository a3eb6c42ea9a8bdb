import { createPublicKey, sign, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { errors, type JWK, type JWTPayload } from 'jose';

/**
 * Compact JWS (RFC 7515) signing and JWT verification on node:crypto KeyObjects. jose 6 works
 * through WebCrypto (an async job per signature and, with createLocalJWKSet, a key import per
 * call); node:crypto signs and verifies ES256 synchronously, several times faster, which the
 * token endpoint, /introspect and /userinfo feel on every request. Errors are jose's classes,
 * so callers tell an expired token from a bad one the same way.
 */
export type JwsAlg = 'ES256' | 'RS256';

const b64 = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** The signature over `header.payload` in JWS form: ES256 is r‖s (IEEE P1363), not DER (RFC 7518 §3.4). */
export function signCompact(header: Record<string, unknown>, payload: JWTPayload, alg: JwsAlg, key: KeyObject): string {
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}`;
  const signature = alg === 'ES256' ? sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }) : sign('sha256', Buffer.from(input), key);
  return `${input}.${signature.toString('base64url')}`;
}

export interface VerificationKey {
  kid: string | undefined;
  alg: JwsAlg;
  key: KeyObject;
}

/** Public JWKs (our JWKS) as KeyObjects, imported once per key set rather than per token. */
export function verificationKeys(jwks: JWK[]): VerificationKey[] {
  return jwks
    .filter((jwk): jwk is JWK & { alg: JwsAlg } => jwk.alg === 'ES256' || jwk.alg === 'RS256')
    .map((jwk) => ({ kid: jwk.kid, alg: jwk.alg, key: createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }) }));
}

export interface VerifyOptions {
  issuer: string;
  /** Compared like jose does: case-insensitive, an `application/` prefix ignored. */
  typ: string;
  algorithms: JwsAlg[];
  currentDate: Date;
}

const normalizeTyp = (typ: string) => typ.toLowerCase().replace(/^application\//, '');

function parseJson(part: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new errors.JWSInvalid(`the ${what} is not base64url JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new errors.JWSInvalid(`the ${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

function pickKey(keys: VerificationKey[], alg: JwsAlg, kid: unknown): VerificationKey {
  const candidates = keys.filter((k) => k.alg === alg && (kid === undefined || k.kid === kid));
  if (candidates.length === 0) throw new errors.JWKSNoMatchingKey();
  if (candidates.length > 1) throw new errors.JWKSMultipleMatchingKeys();
  return candidates[0]!;
}

/** jwtVerify's checks for our tokens: header (alg allowed, no crit, typ), key by kid, signature, iss, exp, nbf. */
export function verifyJwt(token: string, keys: VerificationKey[], options: VerifyOptions): JWTPayload {
  const parts = token.split('.');
  if (parts.length !== 3) throw new errors.JWSInvalid('a compact JWS has three parts');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = parseJson(headerPart, 'protected header');
  const alg = header['alg'];
  if (typeof alg !== 'string' || !(options.algorithms as string[]).includes(alg)) throw new errors.JOSEAlgNotAllowed('"alg" (Algorithm) Header Parameter value not allowed');
  // A critical extension we do not understand, or an unencoded payload, is not ours (RFC 7515 §4.1.11, RFC 7797).
  if (header['crit'] !== undefined || header['b64'] !== undefined) throw new errors.JWSInvalid('unsupported header parameters');
  const { key } = pickKey(keys, alg as JwsAlg, header['kid']);
  const signature = Buffer.from(signaturePart, 'base64url');
  const input = Buffer.from(`${headerPart}.${payloadPart}`);
  const valid = alg === 'ES256' ? signature.length === 64 && verify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, signature) : verify('sha256', input, key, signature);
  if (!valid) throw new errors.JWSSignatureVerificationFailed();

  const payload = parseJson(payloadPart, 'payload') as JWTPayload;
  if (typeof header['typ'] !== 'string' || normalizeTyp(header['typ']) !== normalizeTyp(options.typ)) throw new errors.JWTClaimValidationFailed('unexpected "typ" JWT header value', payload, 'typ', 'check_failed');
  if (payload.iss !== options.issuer) throw new errors.JWTClaimValidationFailed('unexpected "iss" claim value', payload, 'iss', 'check_failed');
  const now = Math.floor(options.currentDate.getTime() / 1000);
  for (const claim of ['exp', 'nbf', 'iat'] as const) {
    if (payload[claim] !== undefined && typeof payload[claim] !== 'number') throw new errors.JWTInvalid(`"${claim}" claim must be a number`);
  }
  if (payload.nbf !== undefined && payload.nbf > now) throw new errors.JWTClaimValidationFailed('"nbf" claim timestamp check failed', payload, 'nbf', 'check_failed');
  if (payload.exp !== undefined && payload.exp <= now) throw new errors.JWTExpired('"exp" claim timestamp check failed', payload, 'exp', 'check_failed');
  return payload;
}
