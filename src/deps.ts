import { createAccounts, type Accounts } from './accounts/accounts.js';
import type { Directory } from './accounts/directory.js';
import { createGrantStanding } from './accounts/grant-standing.js';
import { createAdminServices, type AdminServices } from './admin-deps.js';
import type { AuditLog } from './accounts/links.js';
import { createLinkRateLimiter } from './accounts/rate-limit.js';
import type { Config } from './config/index.js';
import { createRegionsHolder, type RegionsHolder } from './config/regions.js';
import { regionTimeZones } from './policy/region-time.js';
import { buildEsia } from './esia/build.js';
import type { EsiaClient } from './esia/client.js';
import type { EsiaLogin } from './esia/login.js';
import { createSnilsHasher } from './crypto/snils.js';
import type { StoreKeyHash } from './crypto/store-key.js';
import { createMetrics, type Metrics } from './metrics/metrics.js';
import type { Logger } from './observability/logger.js';
import { createTracing, queryLogger, tracedStore, type Tracing } from './observability/tracing.js';
import { createMemoryStateStore } from './store/memory/memory-state-store.js';
import { databasePoolOptions, migrateToLatest, openDatabase, type DatabaseHandle } from './store/postgres/database.js';
import { createPostgresAuditLog } from './store/postgres/audit-repo.js';
import { createPostgresDirectory } from './store/postgres/directory-repo.js';
import { createPostgresLinkStore } from './store/postgres/links-repo.js';
import { createRedisStateStore } from './store/redis/redis-state-store.js';
import type { StateStore } from './store/state-store.js';
import type { ClientRepo } from './oidc/clients.js';
import { seedClientsFromFile } from './oidc/client-file.js';
import type { InteractionService, LoginStarter } from './oidc/interaction.js';
import { createOidcProvider, type OidcProvider } from './oidc/provider.js';
import { createBackchannelWorker, type BackchannelWorker } from './oidc/backchannel-logout.js';
import { createPostgresBackchannelOutbox } from './store/postgres/backchannel-logouts-repo.js';
import { createPostgresClientRepo } from './store/postgres/clients-repo.js';
import { createPostgresFamilyRepo } from './store/postgres/refresh-tokens-repo.js';
import { createPostgresSigningKeyRepo } from './store/postgres/signing-keys-repo.js';
import { sql } from 'kysely';
import { cachedClients, cachedDirectory, cachedFamilies, cachedLinkOfProfile } from './oidc/cached-reads.js';
import { createGrantCache, DEFAULT_STALE_AFTER_MS, noGrantCache, type GrantCache } from './oidc/grant-cache.js';
import { GRANT_CHANNEL, startChangeFeed } from './store/postgres/change-feed.js';

/** Everything the app needs, built once here: the composition root. */
export interface Deps extends AdminServices {
  readonly config: Config;
  readonly logger: Logger;
  /** OpenTelemetry traces (off unless OTEL_EXPORTER_OTLP_ENDPOINT is set). */
  readonly tracing: Tracing;
  readonly metrics: Metrics;
  readonly database: DatabaseHandle;
  readonly state: StateStore;
  /** Keyed hash of personal data in state-store keys (crypto/store-key.ts). */
  readonly storeKey: StoreKeyHash;
  readonly directory: Directory;
  /** The region table (config/regions.json); reload() on SIGHUP swaps the snapshot. */
  readonly regions: RegionsHolder;
  /** Matching, linking, choosing and unlinking diary profiles. */
  readonly accounts: Accounts;
  /** Registered diary frontends (seeded from CONFIG_DIR/clients.json at start). */
  readonly clients: ClientRepo;
  /** Our authorization server: keys, sessions, codes, tokens. */
  readonly oidc: OidcProvider;
  /** The contract the login legs call (complete/fail an /authorize interaction). */
  readonly interactions: InteractionService;
  /** Where /authorize sends a browser that needs a person to log in: the signed ESIA URL (src/esia/login.ts). */
  readonly loginStarter: LoginStarter;
  readonly esiaClient: EsiaClient;
  readonly esiaLogin: EsiaLogin;
  /** The audit trail (Postgres): links, refusals, admin actions. */
  readonly audit: AuditLog;
  /** Delivers owed back-channel logout tokens (polls the outbox; stopped by close()). */
  readonly backchannelLogout: BackchannelWorker;
  close(): Promise<void>;
}

export interface BuildDepsOptions {
  /** In-memory PGlite instead of files under DATA_DIR (tests). */
  inMemoryDatabase?: boolean;
  /** The in-memory PGlite starts from this initialised data directory (DatabaseOptions.pgliteTemplate). */
  pgliteTemplate?: Blob;
}

export async function buildDeps(config: Config, logger: Logger, options: BuildDepsOptions = {}): Promise<Deps> {
  // Before anything opens: a bad region table stops the start, naming every problem.
  const regions = createRegionsHolder(config.configDir);
  const tracing = createTracing(config.tracing, logger);
  const database = await openDatabase({
    url: config.storage.databaseUrl,
    dataDir: config.storage.dataDir,
    inMemory: options.inMemoryDatabase ?? false,
    ...(options.pgliteTemplate ? { pgliteTemplate: options.pgliteTemplate } : {}),
    queryTimeoutMs: config.storage.databaseQueryTimeoutMs,
    ...databasePoolOptions(config),
    ...(tracing.enabled ? { log: queryLogger(tracing, config.storage.databaseUrl ? 'postgresql' : 'pglite') } : {}),
  });
  // Closed in reverse: tracing last, so the spans of closing go out too.
  const closers: Array<() => Promise<void>> = [() => tracing.shutdown(), () => database.close()];
  try {
    if (config.storage.migrateOnStart) {
      const applied = await migrateToLatest(database.db);
      if (applied.length > 0) logger.info({ applied }, 'database migrated');
    }
    const state = tracedStore(
      config.storage.redisUrl
        ? await createRedisStateStore({ url: config.storage.redisUrl, keyPrefix: config.storage.redisKeyPrefix, commandTimeoutMs: config.storage.redisCommandTimeoutMs, sentinel: config.storage.redisSentinel, cluster: config.storage.redisCluster })
        : createMemoryStateStore(),
      tracing,
      config.storage.redisUrl ? 'redis' : 'memory',
    );
    closers.push(() => state.close());
    if (!config.storage.databaseUrl) logger.warn('DATABASE_URL not set: using the embedded PGlite database (development only)');
    if (!config.storage.redisUrl) logger.warn('REDIS_URL not set: short-lived state is kept in this process (development only)');

    const directory = createPostgresDirectory(database.db);
    const clients = createPostgresClientRepo(database.db);
    const { seeded, refused } = await seedClientsFromFile(config.configDir, clients, { production: config.isProduction });
    if (seeded.length > 0) logger.info({ clients: seeded }, 'clients seeded from clients.json');
    if (refused.length > 0) logger.warn({ clients: refused }, 'clients.json: not seeded in production, their secret is the published demo secret');
    const audit = createPostgresAuditLog(database.db);
    const links = createPostgresLinkStore(database.db);
    const grantCache = startGrantCache(config, database, logger, closers);
    const oidc = createOidcProvider({
      config,
      state,
      directory: cachedDirectory(directory, grantCache),
      clients: cachedClients(clients, grantCache),
      families: cachedFamilies(createPostgresFamilyRepo(database.db), grantCache),
      signingKeys: createPostgresSigningKeyRepo(database.db),
      logger,
      audit,
      linkedProfileIds: async (esiaOid) => (await links.linksOf(esiaOid)).map((link) => link.profileId),
      grantStanding: createGrantStanding({ links: cachedLinkOfProfile(links, grantCache), directory: cachedDirectory(directory, grantCache), regions: () => regions.current() }),
      grantCache,
    });
    // Closed before the state store: leased failure-limit slots go back to it.
    closers.push(() => oidc.ctx.failureLimit.close());
    await oidc.ctx.keys.ensureKeys();
    const metrics = createMetrics();
    metrics.watchGrantCache(grantCache);
    const esia = await buildEsia(config, { state, metrics, logger, tracing });
    const backchannelLogout = createBackchannelWorker({
      issuer: config.server.publicUrl,
      outbox: createPostgresBackchannelOutbox(database.db),
      clients,
      keys: oidc.ctx.keys,
      settings: config.oidc.backchannelLogout,
      logger,
      count: (outcome) => metrics.backchannelLogouts.inc({ outcome }),
    });
    backchannelLogout.start();
    // Closed in reverse: the worker stops (its deliveries in flight finish) before the database.
    closers.push(() => backchannelLogout.stop());
    const limiter = createLinkRateLimiter(state, oidc.ctx.storeKey, config.accounts.linkLimits);
    const accounts = createAccounts({
      directory,
      links,
      audit,
      hashSnils: createSnilsHasher(config.secrets.snilsHmacKey),
      limiter,
    });

    return {
      config,
      logger,
      tracing,
      metrics,
      database,
      state,
      storeKey: oidc.ctx.storeKey,
      regions,
      accounts,
      directory,
      clients,
      oidc,
      interactions: oidc.interactions,
      loginStarter: esia.loginStarter,
      esiaClient: esia.client,
      esiaLogin: esia.login,
      audit,
      backchannelLogout,
      // Reports, clients, directory import, profiles and links (src/admin-deps.ts, shared with the CLI).
      ...createAdminServices(database.db, { config, audit, clients, accounts, endSessionsOf: (oid) => oidc.ctx.sessions.endAllOf(oid), forgetLinkFailures: (person) => limiter.forget(person), timeZones: () => regionTimeZones(regions.current()) }),
      async close() {
        for (const close of closers.reverse()) await close().catch((error: unknown) => logger.error({ err: error }, 'close failed'));
      },
    };
  } catch (error) {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    throw error;
  }
}

/**
 * The grant cache and the Postgres change feed that keeps it current (src/oidc/grant-cache.ts):
 * only on a real Postgres with a session to LISTEN on; otherwise no cache at all.
 */
function startGrantCache(config: Config, database: DatabaseHandle, logger: Logger, closers: Array<() => Promise<void>>): GrantCache {
  const url = config.storage.grantCacheFeedUrl;
  if (!url || database.kind !== 'postgres') return noGrantCache;
  const cache = createGrantCache({
    now: Date.now,
    staleAfterMs: DEFAULT_STALE_AFTER_MS,
    maxAgeMs: 60_000,
    maxEntries: 100_000,
    notify: async (key) => {
      await sql`select pg_notify(${GRANT_CHANNEL}, ${key})`.execute(database.db);
    },
  });
  const feed = startChangeFeed({ url, cache, now: Date.now, onLost: (reason) => logger.warn({ reason }, 'grant cache: change feed lost; reading the stores until it is back') });
  closers.push(() => feed.close());
  return cache;
}
