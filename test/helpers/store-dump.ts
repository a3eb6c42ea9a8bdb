import { Redis } from 'ioredis';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';

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
