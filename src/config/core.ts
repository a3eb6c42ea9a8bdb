import { z } from 'zod';
import { bool, httpUrl, port, positiveInt } from './fields.js';

/** Settings of the process itself: network, storage, logging. Keys are env names. */
export const coreEnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test'], { error: 'must be development, production or test' }).default('development'),
  PORT: port.default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  PUBLIC_URL: httpUrl.optional(),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' }).optional(),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// URL' }).optional(),
  REDIS_KEY_PREFIX: z.string().min(1).default('esia-broker:'),
  // Redis Sentinel: the primary is asked of these (host:port, comma-separated); REDIS_URL then
  // gives only the password, database number and TLS.
  REDIS_SENTINELS: z
    .string()
    .regex(/^\s*[^\s:,]+:\d{1,5}\s*(,\s*[^\s:,]+:\d{1,5}\s*)*$/, { error: 'must be host:port[,host:port…]' })
    .optional(),
  REDIS_SENTINEL_NAME: z.string().min(1).default('mymaster'),
  // Redis Cluster: any of its nodes (host:port, comma-separated) to learn the slot map from;
  // REDIS_URL then gives only the user, password and TLS.
  REDIS_CLUSTER_NODES: z
    .string()
    .regex(/^\s*[^\s:,]+:\d{1,5}\s*(,\s*[^\s:,]+:\d{1,5}\s*)*$/, { error: 'must be host:port[,host:port…]' })
    .optional(),
  // Client-side deadlines, well below the 30 s HTTP request timeout: a store that accepts but
  // never answers fails the request with 503 instead of holding it.
  DATABASE_QUERY_TIMEOUT_MS: z.coerce.number().int().min(100).max(20_000).default(5000),
  REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(50).max(10_000).default(2000),
  // Connections each process keeps to Postgres (or to PgBouncer), how long it waits for one and
  // how long an idle one stays open.
  DATABASE_POOL_SIZE: positiveInt.max(1000, 'must be at most 1000').default(10),
  DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).optional(),
  DATABASE_IDLE_TIMEOUT_MS: z.coerce.number().int().min(0).default(30_000),
  // PgBouncer refuses startup parameters it does not know (statement_timeout among them).
  DATABASE_PGBOUNCER: bool.default(false),
  // The grant cache's change feed LISTENs on a session of its own: PgBouncer's transaction
  // pooling loses LISTEN, so behind it this names Postgres (or a session-pooled PgBouncer).
  DATABASE_LISTEN_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' }).optional(),
  GRANT_CACHE: bool.default(true),
  CONFIG_DIR: z.string().min(1).default('./config'),
  DATA_DIR: z.string().min(1).default('./data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { error: 'must be a pino level' }).default('info'),
  MIGRATE_ON_START: bool.optional(),
  TRUST_PROXY: bool.default(false),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
});

export type CoreEnv = z.infer<typeof coreEnvSchema>;

export interface DatabasePoolSettings {
  readonly size: number;
  /** Connecting, and waiting for a free pooled connection. */
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  /** Behind PgBouncer: no statement_timeout startup parameter (set it on the role instead). */
  readonly pgbouncer: boolean;
}
