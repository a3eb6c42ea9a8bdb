import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { accountsEnvSchema, resolveAccountsConfig, type AccountsConfig } from './accounts.js';
import { adminEnvSchema, resolveAdminConfig, type AdminConfig } from './admin.js';
import { coreEnvSchema, type DatabasePoolSettings } from './core.js';
import { oidcEnvSchema, oidcSection, type OidcConfig } from './oidc.js';
import { readSetting, type Env } from './env.js';
import { esiaEnvSchema, esiaProductionProblems, resolveEsiaConfig, type EsiaConfig } from './esia.js';
import { resolveRedisTopology, type RedisTopology } from './redis.js';
import { resolveTracingConfig, tracingEnvSchema, type TracingConfig } from './tracing.js';
import { SECRET_NAMES, loadOrCreateDevSecrets, type SecretName } from './secrets.js';

export type { Env } from './env.js';
export type { EsiaConfig } from './esia.js';

/** Every env setting, by area; each area owns its schema file. */
const envSchema = z.object({
  ...coreEnvSchema.shape,
  ...esiaEnvSchema.shape,
  ...oidcEnvSchema.shape,
  ...accountsEnvSchema.shape,
  ...adminEnvSchema.shape,
  ...tracingEnvSchema.shape,
});

/** Every setting name the service reads (each also as NAME_FILE): for docs and deploy checks. */
export function knownSettingNames(): string[] {
  return [...Object.keys(envSchema.shape), ...SECRET_NAMES];
}

export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly isProduction: boolean;
  readonly server: {
    readonly host: string;
    readonly port: number;
    /** Our issuer and the base of every URL we hand out; never derived from request headers. */
    readonly publicUrl: string;
    readonly trustProxy: boolean;
    readonly shutdownGraceMs: number;
  };
  readonly storage: {
    readonly databaseUrl: string | undefined;
    readonly redisUrl: string | undefined;
    readonly redisKeyPrefix: string;
    /** REDIS_SENTINELS and REDIS_SENTINEL_NAME: where to ask for the primary, if Sentinel runs. */
    readonly redisSentinel: RedisTopology['sentinel'];
    /** REDIS_CLUSTER_NODES: the seed nodes, if the state lives in a Redis Cluster. */
    readonly redisCluster: RedisTopology['cluster'];
    /** pg query_timeout (statement_timeout a little below): DATABASE_QUERY_TIMEOUT_MS. */
    readonly databaseQueryTimeoutMs: number;
    /** The pg pool: DATABASE_POOL_SIZE, DATABASE_CONNECT_TIMEOUT_MS, DATABASE_IDLE_TIMEOUT_MS, DATABASE_PGBOUNCER. */
    readonly databasePool: DatabasePoolSettings;
    /** ioredis commandTimeout and connectTimeout: REDIS_COMMAND_TIMEOUT_MS. */
    readonly redisCommandTimeoutMs: number;
    /**
     * Where the grant cache's change feed LISTENs (DATABASE_LISTEN_URL; else DATABASE_URL, unless
     * behind PgBouncer); undefined: the cache stays off and every token call reads the stores.
     */
    readonly grantCacheFeedUrl: string | undefined;
    readonly dataDir: string;
    readonly migrateOnStart: boolean;
  };
  readonly configDir: string;
  readonly esia: EsiaConfig;
  readonly oidc: OidcConfig;
  readonly accounts: AccountsConfig;
  readonly admin: AdminConfig;
  /** OpenTelemetry traces (OTEL_*): off unless an OTLP endpoint is named. */
  readonly tracing: TracingConfig;
  readonly logLevel: string;
  readonly secrets: {
    readonly cookieSecret: string;
    readonly snilsHmacKey: string;
    readonly keyEncryptionKey: string;
    /** Absent: the admin API is disabled. */
    readonly adminToken: string | undefined;
    /** Absent: /metrics is open (scraped from a private network); set: a bearer token guards it. */
    readonly metricsToken: string | undefined;
  };
  /** Things worth a warning line at start (generated dev secrets and the like). */
  readonly warnings: readonly string[];
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const MIN_SECRET_LENGTH = 16;
/** ADMIN_TOKEN may be absent even in production: the admin API is then off. */
const REQUIRED_SECRETS: readonly SecretName[] = ['COOKIE_SECRET', 'SNILS_HMAC_KEY', 'KEY_ENCRYPTION_KEY'];

/** Parses the whole configuration once; throws ConfigError naming every bad setting. */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const warnings: string[] = [];
  const raw: Record<string, string | undefined> = {};
  for (const name of Object.keys(envSchema.shape)) raw[name] = readSetting(env, name, problems);

  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.')}: ${issue.message}`);
  }
  const secrets = readSecrets(env, problems);
  const isProduction = raw['NODE_ENV'] === 'production';
  if (isProduction) {
    for (const name of REQUIRED_SECRETS) {
      if (!secrets[name] && !problems.some((p) => p.startsWith(`${name}`))) problems.push(`${name}: required in production (set ${name} or ${name}_FILE)`);
    }
    if (!raw['REDIS_URL']) problems.push('REDIS_URL: required in production (the in-process store does not survive restarts or scale out)');
    if (!raw['DATABASE_URL']) problems.push('DATABASE_URL: required in production (the embedded database is for development)');
    problems.push(...esiaProductionProblems(raw));
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);

  const e = parsed.data;
  const dataDir = absolute(e.DATA_DIR);
  const publicUrl = e.PUBLIC_URL ?? `http://localhost:${e.PORT}`;
  const esia = resolveEsiaConfig(e, { isProduction, publicUrl, dataDir }, problems);
  const redis = resolveRedisTopology(e, problems);
  warnings.push(...esia.warnings);
  if (problems.length > 0) throw new ConfigError(problems);
  if (!isProduction) {
    // METRICS_TOKEN is opt-in: a generated one would only lock out a local Prometheus.
    const missing = SECRET_NAMES.filter((name) => !secrets[name] && name !== 'METRICS_TOKEN');
    if (missing.length > 0) {
      const dev = loadOrCreateDevSecrets(dataDir, missing);
      Object.assign(secrets, { ...dev.values, ...pick(secrets) });
      // "generated" only when this start made them; later starts say they reused the file.
      const reused = missing.filter((name) => !dev.generated.includes(name));
      if (dev.generated.length > 0) warnings.push(`generated development secrets for ${dev.generated.join(', ')} in ${dev.file}; set them explicitly outside development`);
      if (reused.length > 0) warnings.push(`using development secrets for ${reused.join(', ')} from ${dev.file}; set them explicitly outside development`);
    }
  }

  return deepFreeze({
    env: e.NODE_ENV,
    isProduction,
    server: { host: e.HOST, port: e.PORT, publicUrl, trustProxy: e.TRUST_PROXY, shutdownGraceMs: e.SHUTDOWN_GRACE_MS },
    storage: {
      databaseUrl: e.DATABASE_URL,
      redisUrl: e.REDIS_URL,
      redisKeyPrefix: e.REDIS_KEY_PREFIX,
      redisSentinel: redis.sentinel,
      redisCluster: redis.cluster,
      databaseQueryTimeoutMs: e.DATABASE_QUERY_TIMEOUT_MS,
      databasePool: {
        size: e.DATABASE_POOL_SIZE,
        connectTimeoutMs: e.DATABASE_CONNECT_TIMEOUT_MS ?? Math.min(2000, e.DATABASE_QUERY_TIMEOUT_MS),
        idleTimeoutMs: e.DATABASE_IDLE_TIMEOUT_MS,
        pgbouncer: e.DATABASE_PGBOUNCER,
      },
      redisCommandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
      grantCacheFeedUrl: e.GRANT_CACHE && e.DATABASE_URL ? (e.DATABASE_LISTEN_URL ?? (e.DATABASE_PGBOUNCER ? undefined : e.DATABASE_URL)) : undefined,
      dataDir,
      // The embedded database is always migrated; a shared Postgres only when ops opt in.
      migrateOnStart: e.MIGRATE_ON_START ?? !e.DATABASE_URL,
    },
    configDir: absolute(e.CONFIG_DIR),
    esia,
    oidc: oidcSection(e),
    accounts: resolveAccountsConfig(e),
    admin: resolveAdminConfig(e),
    tracing: resolveTracingConfig(e),
    logLevel: e.LOG_LEVEL,
    secrets: {
      cookieSecret: secrets.COOKIE_SECRET ?? '',
      snilsHmacKey: secrets.SNILS_HMAC_KEY ?? '',
      keyEncryptionKey: secrets.KEY_ENCRYPTION_KEY ?? '',
      adminToken: secrets.ADMIN_TOKEN,
      metricsToken: secrets.METRICS_TOKEN,
    },
    warnings,
  });
}

function readSecrets(env: Env, problems: string[]): Partial<Record<SecretName, string>> {
  const secrets: Partial<Record<SecretName, string>> = {};
  for (const name of SECRET_NAMES) {
    const value = readSetting(env, name, problems);
    if (value === undefined) continue;
    if (value.length < MIN_SECRET_LENGTH) problems.push(`${name}: must be at least ${MIN_SECRET_LENGTH} characters`);
    else secrets[name] = value;
  }
  return secrets;
}

function pick(secrets: Partial<Record<SecretName, string>>): Partial<Record<SecretName, string>> {
  return Object.fromEntries(Object.entries(secrets).filter(([, v]) => v !== undefined));
}

function absolute(path: string): string {
  return isAbsolute(path) ? path : resolve(process.cwd(), path);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
