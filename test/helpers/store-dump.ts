import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { snilsChecksum } from '../../src/crypto/snils.js';

/**
 * Whole-store dumps for personal-data checks: every row of every table of a database as JSON
 * text, and every Redis key under a pattern with its TTL and value.
 */
export async function dumpPostgres(url: string): Promise<{ table: string; row: string }[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ table_name: string }>(`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`);
    const rows: { table: string; row: string }[] = [];
    for (const { table_name } of tables.rows) {
      const result = await client.query<{ row: string }>(`select row_to_json(t)::text as row from "${table_name}" t`);
      for (const r of result.rows) rows.push({ table: table_name, row: r.row });
    }
    return rows;
  } finally {
    await client.end();
  }
}

export interface RedisEntry {
  key: string;
  /** Seconds; -1 means no expiry. */
  ttl: number;
  value: string;
}

export async function dumpRedis(url: string, pattern: string): Promise<RedisEntry[]> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    const entries: RedisEntry[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const type = await redis.type(key);
        const value = type === 'string' ? ((await redis.get(key)) ?? '') : type === 'hash' ? JSON.stringify(await redis.hgetall(key)) : JSON.stringify(await redis.dump(key));
        entries.push({ key, ttl: await redis.ttl(key), value });
      }
    } while (cursor !== '0');
    return entries;
  } finally {
    redis.disconnect();
  }
}

/** A SNILS in every way it is written: 11 digits, with dashes, with spaces, both. */
export function snilsForms(snils: string): string[] {
  const d = snils.replace(/\D/g, '');
  return [d, `${d.slice(0, 3)}-${d.slice(3, 6)}-${d.slice(6, 9)} ${d.slice(9)}`, `${d.slice(0, 3)}-${d.slice(3, 6)}-${d.slice(6, 9)}-${d.slice(9)}`, `${d.slice(0, 3)} ${d.slice(3, 6)} ${d.slice(6, 9)} ${d.slice(9)}`, `${d.slice(0, 9)} ${d.slice(9)}`];
}

/** The same dump through a kysely handle (works on the embedded PGlite too). */
export async function dumpDatabase(db: Kysely<never>): Promise<{ table: string; row: string }[]> {
  const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`.execute(db);
  const rows: { table: string; row: string }[] = [];
  for (const { table_name } of tables.rows) {
    const result = await sql<{ row: string }>`select row_to_json(t)::text as row from ${sql.table(table_name)} t`.execute(db);
    for (const r of result.rows) rows.push({ table: table_name, row: r.row });
  }
  return rows;
}

/**
 * A SNILS written any way (11 digits, the groups split by dashes or spaces or not), standing
 * alone: not part of a longer run of letters or digits (a hash, a timestamp).
 */
const SNILS_SHAPE = /(?<![0-9A-Za-z])\d{3}[- ]?\d{3}[- ]?\d{3}[- ]?\d{2}(?![0-9A-Za-z])/g;
/** The same shape for Postgres' own regex engine (no lookbehind): a prefilter, so rows stay in the server. */
export const SNILS_SHAPE_POSIX = '(^|[^0-9A-Za-z])[0-9]{3}[- ]?[0-9]{3}[- ]?[0-9]{3}[- ]?[0-9]{2}([^0-9A-Za-z]|$)';

/**
 * Every SNILS in a text, whatever its format: the shapes above whose control number is right
 * (numbers from before checksums, up to 001-001-998, are left out: 00000000000 is no SNILS).
 * Catches SNILS that tests generate (newSnils) as well as the ones their sources spell out.
 */
export function snilsIn(text: string): string[] {
  return [...text.matchAll(SNILS_SHAPE)]
    .map((m) => m[0].replace(/\D/g, ''))
    .filter((d) => Number(d.slice(0, 9)) > 1_001_998 && snilsChecksum(d.slice(0, 9)) === Number(d.slice(9)));
}

/** Rows of a database holding a SNILS in clear (any format), as `table: digits`. */
export async function snilsRowsIn(url: string): Promise<{ rows: number; hits: string[] }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ table_name: string }>(`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`);
    let rows = 0;
    const hits: string[] = [];
    for (const { table_name } of tables.rows) {
      const counted = await client.query<{ n: string }>(`select count(*) as n from "${table_name}"`);
      rows += Number(counted.rows[0]!.n);
      const found = await client.query<{ row: string }>(`select row_to_json(t)::text as row from "${table_name}" t where row_to_json(t)::text ~ $1`, [SNILS_SHAPE_POSIX]);
      for (const r of found.rows) for (const digits of snilsIn(r.row)) hits.push(`${table_name}: ${digits}`);
    }
    return { rows, hits };
  } finally {
    await client.end();
  }
}

/**
 * Test databases are dropped when their test ends, before the after-all check could see them:
 * each one is searched for SNILS just before the drop, and what was found is left here for
 * test/after-all/stores-hold-no-plaintext-snils.test.ts (which reads and removes the files).
 */
export const STORE_CHECK_DIR = join(import.meta.dirname, '..', 'artifacts', 'store-checks');

export async function recordSnilsCheckBeforeDrop(url: string, database: string): Promise<void> {
  let result: { rows: number; hits: string[] } | { error: string };
  try {
    result = await snilsRowsIn(url);
  } catch (error) {
    // A test that already took its database down: nothing to search, say so.
    result = { error: (error as Error).message };
  }
  mkdirSync(STORE_CHECK_DIR, { recursive: true });
  appendFileSync(join(STORE_CHECK_DIR, `${process.pid}.ndjson`), `${JSON.stringify({ database, ...result })}\n`);
}
