import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, Migrator, PostgresDialect, sql, type LogEvent, type MigrationProvider } from 'kysely';
import pg from 'pg';
import { migrations } from '../../../migrations/index.js';
import { guardedPool } from './guarded-pool.js';
import { PGliteDialect } from './pglite-dialect.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;

export interface DatabaseHandle {
  readonly db: Db;
  readonly kind: 'postgres' | 'pglite';
  ping(): Promise<void>;
  close(): Promise<void>;
}

// Dates stay strings (yyyy-mm-dd): a birth date is a calendar day, not an instant.
pg.types.setTypeParser(pg.types.builtins.DATE, (value: string) => value);
// bigserial ids as strings, as PGlite and JSON both want.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => value);

export interface DatabaseOptions {
  /** postgres:// URL; absent means the embedded PGlite under dataDir. */
  url: string | undefined;
  dataDir: string;
  /** In-memory PGlite (tests). */
  inMemory?: boolean;
  /**
   * In-memory only: start from this dump of a freshly initialised PGlite (dumpDataDir) instead
   * of running initdb, which is most of PGlite's start (tests keep one per PGlite version).
   */
  pgliteTemplate?: Blob;
  poolSize?: number;
  /** Default min(2 s, the query timeout). */
  connectTimeoutMs?: number;
  /** Default 30 s. */
  idleTimeoutMs?: number;
  /**
   * Behind PgBouncer (transaction pooling): it refuses a statement_timeout startup parameter, so
   * none is sent; the client deadline still holds, and ops set statement_timeout on the role.
   */
  pgbouncer?: boolean;
  /**
   * The client-side deadline of one query (pg query_timeout): a Postgres that accepts but never
   * answers fails the query instead of holding the request. The server's statement_timeout sits
   * a little below it, so a merely slow query is cancelled cleanly first. Default 10 s (the CLI);
   * the service passes DATABASE_QUERY_TIMEOUT_MS.
   */
  queryTimeoutMs?: number;
  /** Kysely's log hook (tracing: a span per query). */
  log?: (event: LogEvent) => void;
}

export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.url) {
    const queryTimeoutMs = options.queryTimeoutMs ?? 10_000;
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      // Also bounds the wait for a free connection while hung ones hold the pool.
      connectionTimeoutMillis: options.connectTimeoutMs ?? Math.min(2000, queryTimeoutMs),
      idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
      query_timeout: queryTimeoutMs,
      ...(options.pgbouncer ? {} : { statement_timeout: Math.max(queryTimeoutMs - 250, 100) }),
    });
    pool.on('error', () => {
      // An idle client lost its connection; the pool replaces it, readiness reports outages.
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: guardedPool(pool, { namedStatements: !options.pgbouncer }) }), ...(options.log ? { log: options.log } : {}) });
    return handle(db, 'postgres');
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const dir = options.inMemory ? undefined : join(options.dataDir, 'pglite');
  if (dir) mkdirSync(dir, { recursive: true });
  // Same text forms as the pg parsers above: dates as yyyy-mm-dd, int8 as strings.
  const parsers = { 1082: (value: string) => value, 20: (value: string) => value };
  const pglite = dir ? new PGlite({ dataDir: dir, parsers }) : new PGlite({ parsers, ...(options.pgliteTemplate ? { loadDataDir: options.pgliteTemplate } : {}) });
  await pglite.waitReady;
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite), ...(options.log ? { log: options.log } : {}) });
  // kysely only destroys a driver it has used: a handle closed before its first query would
  // leave PGlite open (and a CLI process hanging for a minute), so close it here too.
  return handle(db, 'pglite', async () => {
    if (!pglite.closed) await pglite.close();
  });
}

function handle(db: Db, kind: DatabaseHandle['kind'], afterDestroy?: () => Promise<void>): DatabaseHandle {
  return {
    db,
    kind,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
      await afterDestroy?.();
    },
  };
}

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** The pool settings of a loaded config, as openDatabase takes them. */
export function databasePoolOptions(config: { storage: { databasePool: { size: number; connectTimeoutMs: number; idleTimeoutMs: number; pgbouncer: boolean } } }): Pick<DatabaseOptions, 'poolSize' | 'connectTimeoutMs' | 'idleTimeoutMs' | 'pgbouncer'> {
  const pool = config.storage.databasePool;
  return { poolSize: pool.size, connectTimeoutMs: pool.connectTimeoutMs, idleTimeoutMs: pool.idleTimeoutMs, pgbouncer: pool.pgbouncer };
}

/**
 * Brings the schema up to date; throws listing the migration that failed.
 *
 * Everything, kysely's migration lock included, runs in one transaction of ours on one
 * connection. kysely takes a session-level advisory lock in a statement of its own before its
 * transaction and releases it after: behind PgBouncer in transaction mode those land on
 * different server connections, and the lock stays held on one of them for good. In one
 * transaction they share a server connection. A session-level lock survives a rollback, so a
 * failure first goes back to a savepoint and lets the lock go there, still on that connection.
 */
export async function migrateToLatest(db: Kysely<unknown> | Db): Promise<string[]> {
  return (db as Kysely<unknown>).connection().execute(async (conn) => {
    await sql`begin`.execute(conn);
    // Ours, for the transaction: kysely creates its tables before taking its lock, and two runs
    // racing there would abort this transaction.
    await sql`select pg_advisory_xact_lock(hashtext('esia-broker:migrations'))`.execute(conn);
    await sql`savepoint before_migrations`.execute(conn);
    try {
      const { error, results } = await new Migrator({ db: conn, provider, disableTransactions: true }).migrateToLatest();
      if (error) {
        const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
        throw new Error(`migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      await sql`commit`.execute(conn);
      return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    } catch (error) {
      try {
        await sql`rollback to savepoint before_migrations`.execute(conn);
        await sql`select pg_advisory_unlock_all()`.execute(conn);
      } finally {
        await sql`rollback`.execute(conn);
      }
      throw error;
    }
  });
}
