import type { Directory } from '../accounts/directory.js';
import type { Config } from '../config/index.js';
import { createStoreKeyHash } from '../crypto/store-key.js';
import { createKeyedHash, createSealer } from '../crypto/key-encryption.js';
import type { AuditLog } from '../accounts/links.js';
import type { Logger } from '../observability/logger.js';
import type { StateStore } from '../store/state-store.js';
import type { ClientRepo } from './clients.js';
import { createCodeStore } from './codes.js';
import type { OidcContext } from './context.js';
import { noGrantCache, type GrantCache } from './grant-cache.js';
import { createRecentRefreshTokens } from './token/recent-refresh-tokens.js';
import { createInteractions, type Interactions } from './interactions.js';
import type { FamilyRepo } from './refresh-tokens.js';
import { createSessionService } from './sessions.js';
import { createKeyRing, type KeyRing, type SigningKeyRepo } from './signing-keys.js';
import { createFailureLimit } from './token/failure-limit.js';

export interface OidcProviderDeps {
  config: Config;
  state: StateStore;
  directory: Directory;
  clients: ClientRepo;
  families: FamilyRepo;
  signingKeys: SigningKeyRepo;
  now?: () => number;
  logger?: Pick<Logger, 'warn'>;
  /** Security events (code replay, refresh reuse) also go to the audit trail. */
  audit?: AuditLog;
  /**
   * The diary profiles an ESIA account is linked to now: single sign-on only enters those, so
   * an unlink (by an admin or the person) takes effect at once, not when the session ends.
   */
  linkedProfileIds?: (esiaOid: string) => Promise<string[]>;
  /** Whether the ESIA account may still enter a grant's profile (accounts/grant-standing.ts). */
  grantStanding?: OidcContext['grantStanding'];
  /** The cache clients, families, directory and grantStanding already read through; absent: none. */
  grantCache?: GrantCache;
}

/** Our authorization server: the context its steps share and the interaction service. */
export interface OidcProvider {
  readonly ctx: OidcContext;
  readonly interactions: Interactions;
}

/** How long a redeemed code is remembered, so a late replay still revokes what it issued. */
const REDEMPTION_MEMORY_SECONDS = 24 * 3600;

/** The key ring as configured: also what the rotation command uses. */
export function createConfiguredKeyRing(config: Config, repo: SigningKeyRepo, now: () => number = Date.now): KeyRing {
  const oidc = config.oidc;
  return createKeyRing({
    repo,
    sealer: createSealer(config.secrets.keyEncryptionKey, 'signing-keys'),
    now,
    activationDelaySeconds: oidc.keyActivationDelaySeconds,
    cacheSeconds: oidc.keyCacheSeconds,
    maxTokenLifetimeSeconds: Math.max(oidc.accessTokenTtlSeconds, oidc.idTokenTtlSeconds),
  });
}

export function createOidcProvider(deps: OidcProviderDeps): OidcProvider {
  const { config } = deps;
  const oidc = config.oidc;
  const now = deps.now ?? Date.now;
  const keys = createConfiguredKeyRing(config, deps.signingKeys, now);
  const storeKey = createStoreKeyHash(config.secrets.snilsHmacKey);
  const ctx: OidcContext = {
    issuer: config.server.publicUrl,
    config: oidc,
    now,
    state: deps.state,
    clients: deps.clients,
    families: deps.families,
    keys,
    codes: createCodeStore({ state: deps.state, now, ttlSeconds: oidc.codeTtlSeconds, redemptionMemorySeconds: REDEMPTION_MEMORY_SECONDS }),
    sessions: createSessionService({
      state: deps.state,
      now,
      idleSeconds: oidc.sessionIdleSeconds,
      absoluteSeconds: oidc.sessionAbsoluteSeconds,
      accountHash: createKeyedHash(config.secrets.keyEncryptionKey, 'sessions-of-account'),
    }),
    directory: deps.directory,
    linkedProfileIds: deps.linkedProfileIds,
    grantStanding: deps.grantStanding,
    grantCache: deps.grantCache ?? noGrantCache,
    successorOf: createKeyedHash(config.secrets.keyEncryptionKey, 'refresh-token-successor'),
    recentRefreshTokens: createRecentRefreshTokens(),
    dpopNonceMac: createKeyedHash(config.secrets.keyEncryptionKey, 'dpop-nonce'),
    storeKey,
    failureLimit: createFailureLimit({ state: deps.state, now, storeKey, limit: oidc.tokenRateLimitPerMinute }),
    securityEvent: async (event) => {
      deps.logger?.warn({ event: event.type, client_id: event.clientId, family: event.familyId }, 'tokens revoked: possible token theft');
      await deps.audit
        ?.record({ actor: 'system', action: 'tokens.revoke', target: event.familyId, outcome: event.type, clientId: event.clientId })
        .catch((error: unknown) => deps.logger?.warn({ err: error }, 'could not audit a security event'));
    },
  };
  return { ctx, interactions: createInteractions(ctx) };
}
