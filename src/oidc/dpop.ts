import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, errors, importJWK, jwtVerify, type JWK } from 'jose';
import { safeEqual } from '../crypto/random.js';
import { InvalidDpopProof, UseDpopNonce } from '../errors/oauth-errors.js';
import { nowSeconds, type OidcContext } from './context.js';
import { stateKeys } from './state-keys.js';

/**
 * DPoP proofs (RFC 9449 §4.3): a JWT the client signs for each request with a key of its own,
 * whose public half travels in the header. We check it and give back the key's thumbprint
 * (`jkt`), to which /token binds the tokens and against which /userinfo checks them.
 */

/** What jose verifies on Node (dpop_signing_alg_values_supported); never `none` or HMAC. */
export const DPOP_ALGS = ['ES256', 'ES384', 'PS256', 'RS256', 'Ed25519', 'EdDSA'] as const;
/** How far a proof's iat may lie from our clock (RFC 9449 §11.1: a short window). */
export const DPOP_IAT_WINDOW_SECONDS = 60;
/** Server nonces (RFC 9449 §8) are valid in the slot they were issued in and the next. */
const NONCE_SLOT_SECONDS = 300;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const MAX_PROOF_LENGTH = 8192;

export interface ProofExpectation {
  /** The DPoP header value(s) as received. */
  header: string | string[] | undefined;
  /** HTTP method of the request. */
  method: string;
  /** Our URL of the endpoint, without query or fragment (from PUBLIC_URL, never the Host header). */
  url: string;
  /** At a protected resource: the access token the proof must name (ath). */
  accessToken?: string | undefined;
  /** 400 at /token, 401 at a protected resource. */
  refusalStatus?: number;
}

/**
 * requireOneProof → checkHeader (typ, alg, public jwk) → verify the signature with that jwk →
 * checkClaims (htm, htu, iat window, ath) → checkNonce → useOnce (jti, in the shared state store,
 * so a proof replayed at another instance is refused too). Returns the key's SHA-256 thumbprint.
 */
export async function verifyDpopProof(ctx: OidcContext, expected: ProofExpectation): Promise<string> {
  const status = expected.refusalStatus ?? 400;
  const refuse = (why: string) => new InvalidDpopProof(why, status);
  const proof = requireOneProof(expected.header, refuse);
  const { jwk, alg } = checkHeader(proof, refuse);
  let payload;
  try {
    ({ payload } = await jwtVerify(proof, await importJWK(jwk, alg), { typ: 'dpop+jwt', algorithms: [...DPOP_ALGS], currentDate: new Date(ctx.now()) }));
  } catch (error) {
    // Nothing here reaches a backend: any failure (jose's, or WebCrypto refusing the jwk) is the proof's.
    throw refuse(`the DPoP proof does not verify (${error instanceof errors.JOSEError ? error.code : 'unusable jwk'})`);
  }
  checkClaims(ctx, payload, expected, refuse);
  if (ctx.config.dpopRequireNonce && !isCurrentNonce(ctx, payload['nonce'])) throw new UseDpopNonce(currentDpopNonce(ctx), status);
  const jkt = await calculateJwkThumbprint(jwk, 'sha256');
  const fresh = await ctx.state.putIfAbsent(stateKeys.dpopProof(jkt, String(payload.jti)), '1', 2 * DPOP_IAT_WINDOW_SECONDS * 1000);
  if (!fresh) throw refuse('the DPoP proof was already used (jti replayed)');
  return jkt;
}

function requireOneProof(header: string | string[] | undefined, refuse: (why: string) => InvalidDpopProof): string {
  if (Array.isArray(header)) throw refuse('exactly one DPoP header is allowed');
  if (!header) throw refuse('a DPoP proof is required (the DPoP header)');
  if (header.length > MAX_PROOF_LENGTH) throw refuse('the DPoP proof is too long');
  return header;
}

function checkHeader(proof: string, refuse: (why: string) => InvalidDpopProof): { jwk: JWK; alg: string } {
  let header;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    throw refuse('the DPoP proof is not a JWT');
  }
  if (header.typ !== 'dpop+jwt') throw refuse('the DPoP proof must have typ dpop+jwt');
  if (typeof header.alg !== 'string' || !(DPOP_ALGS as readonly string[]).includes(header.alg)) throw refuse(`the DPoP proof's alg must be one of ${DPOP_ALGS.join(', ')}`);
  const jwk = header.jwk;
  if (!jwk || typeof jwk !== 'object' || Array.isArray(jwk)) throw refuse('the DPoP proof must carry its public key (jwk)');
  if (PRIVATE_MEMBERS.some((member) => member in jwk)) throw refuse('the DPoP proof jwk must be a public key');
  return { jwk, alg: header.alg };
}

function checkClaims(ctx: OidcContext, payload: Record<string, unknown>, expected: ProofExpectation, refuse: (why: string) => InvalidDpopProof): void {
  const { jti, htm, htu, iat, ath } = payload;
  if (typeof jti !== 'string' || jti.length < 8 || jti.length > 256) throw refuse('the DPoP proof needs a jti (8 to 256 characters)');
  if (htm !== expected.method) throw refuse(`the DPoP proof is for another method (htm must be ${expected.method})`);
  if (typeof htu !== 'string' || normalizeHtu(htu) !== expected.url) throw refuse(`the DPoP proof is for another URL (htu must be ${expected.url})`);
  if (typeof iat !== 'number' || Math.abs(nowSeconds(ctx) - iat) > DPOP_IAT_WINDOW_SECONDS) throw refuse(`the DPoP proof's iat must be within ${DPOP_IAT_WINDOW_SECONDS} s of now`);
  if (expected.accessToken !== undefined) {
    const hash = createHash('sha256').update(expected.accessToken, 'ascii').digest('base64url');
    if (typeof ath !== 'string' || !safeEqual(ath, hash)) throw refuse('the DPoP proof does not name this access token (ath)');
  }
}

/** RFC 9449 §4.3: htu is compared without query and fragment. */
function normalizeHtu(htu: string): string | undefined {
  try {
    const url = new URL(htu);
    return `${url.origin}${url.pathname}`;
  } catch {
    return undefined;
  }
}

/**
 * A nonce any instance can check without storage: the time slot and a MAC of it under a key
 * derived from KEY_ENCRYPTION_KEY. Valid in its slot and the next one (5 to 10 minutes).
 */
export function currentDpopNonce(ctx: OidcContext): string {
  return nonceFor(ctx, Math.floor(nowSeconds(ctx) / NONCE_SLOT_SECONDS));
}

function nonceFor(ctx: OidcContext, slot: number): string {
  return `${slot.toString(36)}.${ctx.dpopNonceMac(String(slot))}`;
}

function isCurrentNonce(ctx: OidcContext, nonce: unknown): boolean {
  if (typeof nonce !== 'string' || nonce.length > 128) return false;
  const slot = Math.floor(nowSeconds(ctx) / NONCE_SLOT_SECONDS);
  return safeEqual(nonce, nonceFor(ctx, slot)) || safeEqual(nonce, nonceFor(ctx, slot - 1));
}
