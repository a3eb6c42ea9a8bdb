import { sha256Base64url } from '../crypto/random.js';

/**
 * Every state-store key of the authorization server, in one place. Secrets (codes, tokens,
 * session ids) appear only hashed, so a store dump does not hand out usable credentials.
 */
export const stateKeys: {
  readonly [K in 'interaction' | 'supersededInteraction' | 'session' | 'sessionByHash' | 'sessionsOf' | 'code' | 'redeemedCode' | 'revokedAccessToken' | 'pushedRequest']: (id: string) => string;
} & {
  readonly clientAssertion: (clientId: string, jti: string) => string;
  readonly dpopProof: (jkt: string, jti: string) => string;
  readonly tokenRate: (whoHash: string, window: number) => string;
} = {
  interaction: (id: string) => `oidc:interaction:${id}`,
  /** An interaction given up for newer ones in its browser: the redirect that tells its diary so. */
  supersededInteraction: (id: string) => `oidc:interaction-superseded:${id}`,
  /** The SSO session id is the eb_session cookie's value: the key holds its SHA-256 only. */
  session: (id: string) => stateKeys.sessionByHash(sha256Base64url(id)),
  sessionByHash: (idHash: string) => `oidc:session:${idHash}`,
  /** The id hashes of one ESIA account's sessions (erasure ends them all); keyed by an HMAC of the oid. */
  sessionsOf: (accountHash: string) => `oidc:sessions-of:${accountHash}`,
  code: (codeHash: string) => `oidc:code:${codeHash}`,
  /** Left behind when a code is redeemed, so a replay can find and revoke what it issued. */
  redeemedCode: (codeHash: string) => `oidc:code-redeemed:${codeHash}`,
  revokedAccessToken: (jti: string) => `oidc:revoked-at:${jti}`,
  /** A pushed authorization request (RFC 9126), keyed by the SHA-256 of its request_uri's random part. */
  pushedRequest: (idHash: string) => `oidc:par:${idHash}`,
  clientAssertion: (clientId: string, jti: string) => `oidc:client-assertion:${clientId}:${jti}`,
  /** A DPoP proof seen once (RFC 9449 §11.1): the key's thumbprint and the proof's jti, hashed to bound the key. */
  dpopProof: (jkt: string, jti: string) => `oidc:dpop-jti:${sha256Base64url(`${jkt}:${jti}`)}`,
  /**
   * Refused calls per caller: `who` is whatever client_id the request claimed plus the address,
   * both untrusted and possibly personal (a SNILS typed as client_id), so only its keyed hash
   * (ctx.storeKey, crypto/store-key.ts) is kept.
   */
  tokenRate: (whoHash: string, window: number) => `oidc:rate:token:${whoHash}:${window}`,
} as const;
