import type { JWK } from 'jose';
import type { SigningAlg } from '../crypto/jwt.js';

/** Token endpoint client authentication methods we accept (OIDC Core §9, RFC 6749 §2.3). */
export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];
/**
 * Introspection tells who a token belongs to: only a client that proves who it is may ask
 * (RFC 7662 §2.1, §4). Revocation takes public clients too (RFC 7009 §2.1: a client_id suffices).
 */
/** Algorithms a private_key_jwt assertion may be signed with (RFC 7523; never `none`). */
export const CLIENT_ASSERTION_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;
export const INTROSPECTION_AUTH_METHODS: readonly ClientAuthMethod[] = CLIENT_AUTH_METHODS.filter((m) => m !== 'none');

/** Scope values we understand; others in a request are ignored (RFC 6749 §3.3 lets us). */
export const SUPPORTED_SCOPES = ['openid', 'profile', 'email', 'diary', 'offline_access'] as const;
export type SupportedScope = (typeof SUPPORTED_SCOPES)[number];

/** A registered diary frontend (relying party). */
export interface Client {
  clientId: string;
  name: string;
  authMethod: ClientAuthMethod;
  /** `sha256:<base64url>` of the secret (crypto/secret-hash); client_secret_* only. */
  secretHash: string | undefined;
  /** Public keys for private_key_jwt. */
  jwks: { keys: JWK[] } | undefined;
  /** Exact-match redirect URIs (RFC 9700 §2.1). */
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  /** Two-digit region codes this client serves; empty: any region, named by the `region` parameter. */
  regions: string[];
  allowedScopes: SupportedScope[];
  /** RFC 8707 resource indicators the client may ask tokens for; they become the access token's aud. */
  allowedResources: string[];
  idTokenAlg: SigningAlg;
  /** 0: no refresh tokens for this client. */
  refreshTokenTtlSeconds: number;
  /**
   * Browser origins (scheme://host[:port]) allowed to call /token, /userinfo and /revoke from
   * script, besides the origins of redirectUris. Absent: none besides those.
   */
  allowedOrigins?: string[] | undefined;
  /** False leaves RFC 9207 `iss` out of error redirects (mod_auth_openidc). Absent: true. */
  authorizationErrorIss?: boolean | undefined;
  /** True: /authorize takes this client's requests only through POST /par (RFC 9126 §6). Absent: false. */
  requirePushedAuthorizationRequests?: boolean | undefined;
  /** OIDC Back-Channel Logout 1.0: where logout tokens are POSTed. Absent: none are sent. */
  backchannelLogoutUri?: string | undefined;
  /** The client needs `sid` in logout tokens (and id_tokens). Absent: false. */
  backchannelLogoutSessionRequired?: boolean | undefined;
  /** What people read: the diary's name («Дневник.ру»), after «электронный дневник»; absent: that phrase alone. */
  productName?: string | undefined;
  /** The diary's support (phone, e-mail, hours), shown on the login pages. */
  supportContact?: string | undefined;
  /** The diary's help page about logging in through ESIA. */
  helpUri?: string | undefined;
  /** The diary's start page (OIDC Dynamic Client Registration `client_uri`). */
  clientUri?: string | undefined;
}

/** Implemented in store/postgres. */
export interface ClientRepo {
  find(clientId: string): Promise<Client | null>;
  upsert(client: Client): Promise<void>;
  list(): Promise<Client[]>;
  /** True when a client was removed. */
  remove(clientId: string): Promise<boolean>;
}

export function isPublicClient(client: Client): boolean {
  return client.authMethod === 'none';
}
