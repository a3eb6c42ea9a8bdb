import { createAccounts, type Accounts } from './accounts/accounts.js';
import type { AuditLog } from './accounts/links.js';
import { createLinkRateLimiter } from './accounts/rate-limit.js';
import { createClientAdmin, type ClientAdmin } from './admin/clients-admin.js';
import { createLinksAdmin, type LinksAdmin } from './admin/links-admin.js';
import { createPeopleAdmin, type PeopleAdmin } from './admin/people-admin.js';
import { createKeyedHash } from './crypto/key-encryption.js';
import { createPostgresPeopleStore } from './store/postgres/people-repo.js';
import { createProfileImport, type ProfileImport } from './admin/profile-import.js';
import { createSchoolImport, type SchoolImport } from './admin/school-import.js';
import type { SchoolStore } from './admin/school-store.js';
import { createPostgresSchoolStore } from './store/postgres/schools-repo.js';
import { createProfilesAdmin, type ProfilesAdmin } from './admin/profiles-admin.js';
import type { AdminQueries } from './admin/reports.js';
import { createRetention, type Retention } from './admin/retention.js';
import type { Config } from './config/index.js';
import { loadRegions } from './config/regions.js';
import { regionTimeZones, type RegionTimeZones } from './policy/region-time.js';
import { createPasswordDigester } from './crypto/password-digest.js';
import { createSnilsHasher } from './crypto/snils.js';
import { createStoreKeyHash } from './crypto/store-key.js';
import type { ClientRepo } from './oidc/clients.js';
import { createConfiguredKeyRing } from './oidc/provider.js';
import type { KeyRing } from './oidc/signing-keys.js';
import { createPostgresClientRepo } from './store/postgres/clients-repo.js';
import { createPostgresAuditLog } from './store/postgres/audit-repo.js';
import { createAdminQueries } from './store/postgres/admin-queries.js';
import { databasePoolOptions, migrateToLatest, openDatabase, type DatabaseHandle, type Db } from './store/postgres/database.js';
import { createPostgresDirectory } from './store/postgres/directory-repo.js';
import { createPostgresLinkStore } from './store/postgres/links-repo.js';
import { createPostgresProfileAdminStore } from './store/postgres/profile-admin-repo.js';
import { createPostgresRetentionStore } from './store/postgres/retention-repo.js';
import { createPostgresSigningKeyRepo } from './store/postgres/signing-keys-repo.js';
import { createMemoryStateStore } from './store/memory/memory-state-store.js';
import { createRedisStateStore } from './store/redis/redis-state-store.js';
import { createSessionService } from './oidc/sessions.js';

/**
 * The admin services, wired once for the broker (deps.ts) and once for the offline
 * `esia-broker` command, so the API, the /admin page and the CLI run the same functions.
 */
export interface AdminServices {
  readonly adminQueries: AdminQueries;
  readonly clientAdmin: ClientAdmin;
  readonly profileAdmin: ProfilesAdmin;
  readonly profileImport: ProfileImport;
  /** The school directory (names for school ids) and its import. */
  readonly schools: SchoolStore;
  readonly schoolImport: SchoolImport;
  readonly linkAdmin: LinksAdmin;
  /** Retention purge (docs/personal-data.md): hourly in the broker, `esia-broker purge` for a CronJob. */
  readonly retention: Retention;
  /** What is stored about one person, and their erasure (docs/personal-data.md). */
  readonly peopleAdmin: PeopleAdmin;
  /** Region → time zone (the region table's), for report days and the times the page shows. */
  readonly timeZones: () => RegionTimeZones;
}

export interface AdminServiceParts {
  config: Config;
  audit: AuditLog;
  clients: ClientRepo;
  /** Unlinking goes through the accounts domain (its audit event, its rules). */
  accounts: Pick<Accounts, 'unlink'>;
  /** Ends an ESIA account's SSO sessions (the state store); absent offline without REDIS_URL. */
  endSessionsOf?: (esiaOid: string) => Promise<number>;
  /** Deletes a person's manual-link counters (the state store); absent offline without REDIS_URL. */
  forgetLinkFailures?: (person: { esiaOids: string[]; logins: string[] }) => Promise<void>;
  /** Region → time zone from the live region table. */
  timeZones: () => RegionTimeZones;
}

export function createAdminServices(db: Db, parts: AdminServiceParts): AdminServices {
  const store = createPostgresProfileAdminStore(db);
  const links = createPostgresLinkStore(db);
  const key = parts.config.secrets.snilsHmacKey;
  const schools = createPostgresSchoolStore(db);
  return {
    adminQueries: createAdminQueries(db, parts.timeZones),
    timeZones: parts.timeZones,
    schools,
    schoolImport: createSchoolImport({ store: schools }),
    clientAdmin: createClientAdmin({ clients: parts.clients, audit: parts.audit }),
    profileAdmin: createProfilesAdmin({ store, links, audit: parts.audit }),
    profileImport: createProfileImport({ store, audit: parts.audit, hashSnils: createSnilsHasher(key), digestPassword: createPasswordDigester(key) }),
    linkAdmin: createLinksAdmin({ links, profiles: store, accounts: parts.accounts, audit: parts.audit }),
    peopleAdmin: createPeopleAdmin({
      profiles: store,
      links,
      people: createPostgresPeopleStore(db),
      audit: parts.audit,
      pseudonymOf: createKeyedHash(parts.config.secrets.keyEncryptionKey, 'audit-pseudonym'),
      endSessionsOf: parts.endSessionsOf,
      forgetLinkFailures: parts.forgetLinkFailures,
    }),
    retention: createRetention({ store: createPostgresRetentionStore(db), audit: parts.audit, windows: parts.config.admin.retention }),
  };
}

/** The CLI reads the region table once, when a report first needs it (most commands never do). */
function offlineTimeZones(config: Config): () => RegionTimeZones {
  let zones: RegionTimeZones | undefined;
  return () => (zones ??= regionTimeZones(loadRegions(config.configDir)));
}

/** What the offline command needs: the database (migrated when MIGRATE_ON_START says so), the admin services, the key ring. */
export interface AdminContext extends AdminServices {
  readonly config: Config;
  readonly database: DatabaseHandle;
  readonly audit: AuditLog;
  readonly keys: KeyRing;
  close(): Promise<void>;
}

export async function openAdminContext(config: Config, options: { migrate?: boolean } = {}): Promise<AdminContext> {
  const database = await openDatabase({ url: config.storage.databaseUrl, dataDir: config.storage.dataDir, ...databasePoolOptions(config), poolSize: 2 });
  try {
    if (options.migrate ?? config.storage.migrateOnStart) await migrateToLatest(database.db);
    const { db } = database;
    const audit = createPostgresAuditLog(db);
    // `person erase` ends the person's SSO sessions and deletes their link counters too, when the broker's Redis is configured.
    const state = config.storage.redisUrl
      ? await createRedisStateStore({ url: config.storage.redisUrl, keyPrefix: config.storage.redisKeyPrefix, commandTimeoutMs: config.storage.redisCommandTimeoutMs, sentinel: config.storage.redisSentinel, cluster: config.storage.redisCluster })
      : undefined;
    // Offline nothing is counted: unlink counts nothing, erasure only deletes counters.
    const limiter = createLinkRateLimiter(state ?? createMemoryStateStore(), createStoreKeyHash(config.secrets.snilsHmacKey), config.accounts.linkLimits);
    const accounts = createAccounts({
      directory: createPostgresDirectory(db),
      links: createPostgresLinkStore(db),
      audit,
      hashSnils: createSnilsHasher(config.secrets.snilsHmacKey),
      limiter,
    });
    const sessions = state
      ? createSessionService({ state, now: Date.now, idleSeconds: config.oidc.sessionIdleSeconds, absoluteSeconds: config.oidc.sessionAbsoluteSeconds, accountHash: createKeyedHash(config.secrets.keyEncryptionKey, 'sessions-of-account') })
      : undefined;
    return {
      ...createAdminServices(db, { config, audit, clients: createPostgresClientRepo(db), accounts, endSessionsOf: sessions && ((oid) => sessions.endAllOf(oid)), forgetLinkFailures: state && ((person) => limiter.forget(person)), timeZones: offlineTimeZones(config) }),
      config,
      database,
      audit,
      keys: createConfiguredKeyRing(config, createPostgresSigningKeyRepo(db)),
      close: async () => {
        await state?.close();
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
