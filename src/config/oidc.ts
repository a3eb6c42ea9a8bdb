import { z } from 'zod';
import { bool, positiveInt } from './fields.js';

const seconds = z.coerce.number({ error: 'must be a number of seconds' }).int('must be a whole number').min(0, 'must not be negative');

/** Settings of our authorization server (lifetimes, limits, key rotation). Keys are env names. */
export const oidcEnvSchema = z.object({
  // RFC 6749 §4.1.2: a code lives at most 10 minutes; we keep it to 60 s (RFC 9700 §2.1.1 spirit).
  OIDC_CODE_TTL_SECONDS: positiveInt.max(60, 'must be at most 60').default(60),
  OIDC_INTERACTION_TTL_SECONDS: positiveInt.max(600, 'must be at most 600').default(600),
  OIDC_ACCESS_TOKEN_TTL_SECONDS: positiveInt.max(3600, 'must be at most 3600').default(600),
  OIDC_ID_TOKEN_TTL_SECONDS: positiveInt.max(3600, 'must be at most 3600').default(600),
  OIDC_SESSION_IDLE_SECONDS: positiveInt.default(1800),
  OIDC_SESSION_ABSOLUTE_SECONDS: positiveInt.default(43_200),
  OIDC_REFRESH_GRACE_SECONDS: seconds.max(60, 'must be at most 60').default(5),
  OIDC_TOKEN_RATE_LIMIT_PER_MINUTE: positiveInt.default(120),
  OIDC_KEY_ACTIVATION_DELAY_SECONDS: seconds.default(900),
  OIDC_KEY_CACHE_SECONDS: seconds.max(600, 'must be at most 600').default(60),
  OIDC_DPOP_REQUIRE_NONCE: bool.default(false),
  BACKCHANNEL_LOGOUT_MAX_ATTEMPTS: positiveInt.max(50, 'must be at most 50').default(8),
  BACKCHANNEL_LOGOUT_RETRY_SECONDS: positiveInt.max(3600, 'must be at most 3600').default(10),
  BACKCHANNEL_LOGOUT_TIMEOUT_SECONDS: positiveInt.max(30, 'must be at most 30').default(5),
});

export type OidcEnv = z.infer<typeof oidcEnvSchema>;

export interface OidcConfig {
  readonly codeTtlSeconds: number;
  readonly interactionTtlSeconds: number;
  readonly accessTokenTtlSeconds: number;
  readonly idTokenTtlSeconds: number;
  readonly sessionIdleSeconds: number;
  readonly sessionAbsoluteSeconds: number;
  /** A retried or parallel refresh within this window gets the same successor (no family kill). */
  readonly refreshGraceSeconds: number;
  readonly tokenRateLimitPerMinute: number;
  /** A rotated key is published this long before it signs, so verifiers' JWKS caches pick it up. */
  readonly keyActivationDelaySeconds: number;
  /** How long an instance trusts its copy of the key table (rotation elsewhere shows up within this). */
  readonly keyCacheSeconds: number;
  /** DPoP proofs at /token and /userinfo must carry a nonce we issued (RFC 9449 §8, §9). */
  readonly dpopRequireNonce: boolean;
  /** Back-channel logout delivery: tries per logout token, the first retry's delay (doubling), one POST's timeout. */
  readonly backchannelLogout: { readonly maxAttempts: number; readonly retrySeconds: number; readonly timeoutSeconds: number };
}

export function oidcSection(e: OidcEnv): OidcConfig {
  return {
    codeTtlSeconds: e.OIDC_CODE_TTL_SECONDS,
    interactionTtlSeconds: e.OIDC_INTERACTION_TTL_SECONDS,
    accessTokenTtlSeconds: e.OIDC_ACCESS_TOKEN_TTL_SECONDS,
    idTokenTtlSeconds: e.OIDC_ID_TOKEN_TTL_SECONDS,
    sessionIdleSeconds: Math.min(e.OIDC_SESSION_IDLE_SECONDS, e.OIDC_SESSION_ABSOLUTE_SECONDS),
    sessionAbsoluteSeconds: e.OIDC_SESSION_ABSOLUTE_SECONDS,
    refreshGraceSeconds: e.OIDC_REFRESH_GRACE_SECONDS,
    tokenRateLimitPerMinute: e.OIDC_TOKEN_RATE_LIMIT_PER_MINUTE,
    keyActivationDelaySeconds: e.OIDC_KEY_ACTIVATION_DELAY_SECONDS,
    keyCacheSeconds: e.OIDC_KEY_CACHE_SECONDS,
    dpopRequireNonce: e.OIDC_DPOP_REQUIRE_NONCE,
    backchannelLogout: { maxAttempts: e.BACKCHANNEL_LOGOUT_MAX_ATTEMPTS, retrySeconds: e.BACKCHANNEL_LOGOUT_RETRY_SECONDS, timeoutSeconds: e.BACKCHANNEL_LOGOUT_TIMEOUT_SECONDS },
  };
}
