import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, Migrator, PostgresDialect, sql, type MigrationProvider } from 'kysely';
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
  poolSize?: number;
  /**
   * The client-side deadline of one query (pg query_timeout): a Postgres that accepts but never
   * answers fails the query instead of holding the request. The server's statement_timeout sits
   * a little below it, so a merely slow query is cancelled cleanly first. Default 10 s (the CLI);
   * the service passes DATABASE_QUERY_TIMEOUT_MS.
   */
  queryTimeoutMs?: number;
}

export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.url) {
    const queryTimeoutMs = options.queryTimeoutMs ?? 10_000;
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      // Also bounds the wait for a free connection while hung ones hold the pool.
      connectionTimeoutMillis: Math.min(2000, queryTimeoutMs),
      idleTimeoutMillis: 30_000,
      query_timeout: queryTimeoutMs,
      statement_timeout: Math.max(queryTimeoutMs - 250, 100),
    });
    pool.on('error', () => {
      // An idle client lost its connection; the pool replaces it, readiness reports outages.
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: guardedPool(pool) }) });
    return handle(db, 'postgres');
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const dir = options.inMemory ? undefined : join(options.dataDir, 'pglite');
  if (dir) mkdirSync(dir, { recursive: true });
  // Same text forms as the pg parsers above: dates as yyyy-mm-dd, int8 as strings.
  const parsers = { 1082: (value: string) => value, 20: (value: string) => value };
  const pglite = dir ? new PGlite({ dataDir: dir, parsers }) : new PGlite({ parsers });
  await pglite.waitReady;
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
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

/** Brings the schema up to date; throws listing the migration that failed. */
export async function migrateToLatest(db: Kysely<unknown> | Db): Promise<string[]> {
  const migrator = new Migrator({ db: db as Kysely<unknown>, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
