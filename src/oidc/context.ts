import type { Directory } from '../accounts/directory.js';
import type { OidcConfig } from '../config/oidc.js';
import type { StoreKeyHash } from '../crypto/store-key.js';
import type { StateStore } from '../store/state-store.js';
import type { ClientRepo } from './clients.js';
import type { CodeStore } from './codes.js';
import type { GrantCache } from './grant-cache.js';
import type { FamilyRepo } from './refresh-tokens.js';
import type { SessionService } from './sessions.js';
import type { KeyRing } from './signing-keys.js';
import type { RecentRefreshTokens } from './token/recent-refresh-tokens.js';
import type { FailureLimit } from './token/failure-limit.js';

/** What the authorization server's steps need; built once in provider.ts. */
export interface OidcContext {
  /** PUBLIC_URL: the issuer of every token, never derived from request headers. */
  readonly issuer: string;
  readonly config: OidcConfig;
  readonly now: () => number;
  readonly state: StateStore;
  readonly clients: ClientRepo;
  readonly families: FamilyRepo;
  readonly keys: KeyRing;
  readonly codes: CodeStore;
  readonly sessions: SessionService;
  readonly directory: Directory;
  /** Absent: sessions are trusted as they are (tests of the authorization server alone). */
  readonly linkedProfileIds: ((esiaOid: string) => Promise<string[]>) | undefined;
  /**
   * Why the ESIA account may no longer enter the profile a grant was issued for (unlinked,
   * deleted, deactivated, detached, region switched off), or undefined while it may. Refresh,
   * /userinfo and /introspect ask it every time. Absent: not checked (tests of the
   * authorization server alone).
   */
  readonly grantStanding: ((esiaOid: string, profileId: string) => Promise<GrantRefusal | undefined>) | undefined;
  /**
   * What the token side reads on every call, kept in memory while a change feed keeps it
   * current (grant-cache.ts); ctx.clients, families and directory already read through it.
   */
  readonly grantCache: GrantCache;
  /** Keyed hash of personal data in state-store keys (rate limits; crypto/store-key.ts). */
  readonly storeKey: StoreKeyHash;
  /** Refused calls per caller on the client-authenticated endpoints, with this instance's leased slots (token/failure-limit.ts). */
  readonly failureLimit: FailureLimit;
  /** Keyed hash: the MAC of a DPoP nonce's time slot (dpop.ts), the same on every instance. */
  readonly dpopNonceMac: (slot: string) => string;
  /** Keyed hash: the successor of a refresh token (see refresh-tokens.ts). */
  readonly successorOf: (refreshToken: string) => string;
  /** The refresh tokens this process issued lately and their families (token/recent-refresh-tokens.ts). */
  readonly recentRefreshTokens: RecentRefreshTokens;
  /** Signs of token theft (code replay, refresh reuse): ids only, never tokens. */
  readonly securityEvent: (event: SecurityEvent) => Promise<void>;
}

/** A reason code (policy/reasons.ts) and its finer detail, e.g. profile_not_found / link_removed. */
export interface GrantRefusal {
  reason: string;
  detail: string;
}

export interface SecurityEvent {
  type: 'code_replay' | 'refresh_token_reuse';
  clientId: string;
  familyId: string;
}

export const endpoints = (issuer: string) => ({
  authorization: `${issuer}/authorize`,
  pushedAuthorization: `${issuer}/par`,
  token: `${issuer}/token`,
  userinfo: `${issuer}/userinfo`,
  jwks: `${issuer}/jwks`,
  introspection: `${issuer}/introspect`,
  revocation: `${issuer}/revoke`,
  endSession: `${issuer}/logout`,
});

export const nowSeconds = (ctx: Pick<OidcContext, 'now'>) => Math.floor(ctx.now() / 1000);
