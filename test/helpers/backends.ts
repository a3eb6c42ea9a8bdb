import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createMemoryStateStore } from '../../src/store/memory/memory-state-store.js';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '../../src/store/postgres/database.js';
import { createRedisStateStore } from '../../src/store/redis/redis-state-store.js';
import { pgliteTemplate } from './pglite-template.js';
import { recordSnilsCheckBeforeDrop } from './store-dump.js';
import type { StateStore } from '../../src/store/state-store.js';

/**
 * Test backends. The embedded ones always run; the real servers run whenever
 * DATABASE_URL / REDIS_URL are set (as .ci/run does). Each test gets its own database
 * or key prefix, so parallel test files never collide.
 */
export function uniqueSuffix(): string {
  return `${process.pid}_${randomBytes(4).toString('hex')}`;
}

export interface StateBackend {
  name: 'memory' | 'redis';
  open(): Promise<StateStore>;
}

export function stateBackends(): StateBackend[] {
  const backends: StateBackend[] = [{ name: 'memory', open: async () => createMemoryStateStore() }];
  const url = process.env['REDIS_URL'];
  if (url) backends.push({ name: 'redis', open: () => createRedisStateStore({ url, keyPrefix: `test:${uniqueSuffix()}:` }) });
  return backends;
}

export interface DatabaseBackend {
  name: 'pglite' | 'postgres';
  /** A fresh, migrated, empty database; close() drops it. */
  open(): Promise<DatabaseHandle>;
}

export function databaseBackends(): DatabaseBackend[] {
  const backends: DatabaseBackend[] = [{ name: 'pglite', open: () => openFreshPglite() }];
  if (process.env['DATABASE_URL']) backends.push({ name: 'postgres', open: () => openFreshPostgres() });
  return backends;
}

export async function openFreshPglite(): Promise<DatabaseHandle> {
  const handle = await openDatabase({ url: undefined, dataDir: '', inMemory: true, pgliteTemplate: await pgliteTemplate() });
  await migrateToLatest(handle.db);
  return handle;
}

/** Creates esia_test_<suffix> next to DATABASE_URL's database and drops it on close (searched for SNILS first: store-dump.ts). */
export async function createTestDatabaseUrl(): Promise<{ url: string; drop(): Promise<void> }> {
  const base = process.env['DATABASE_URL'];
  if (!base) throw new Error('DATABASE_URL is not set');
  const name = `esia_test_${uniqueSuffix()}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await recordSnilsCheckBeforeDrop(url.toString(), name);
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

export async function openFreshPostgres(): Promise<DatabaseHandle> {
  const test = await createTestDatabaseUrl();
  const handle = await openDatabase({ url: test.url, dataDir: '', poolSize: 4 });
  await migrateToLatest(handle.db);
  return {
    ...handle,
    async close() {
      await handle.close();
      await test.drop();
    },
  };
}

/** A fresh database with the one client `c` and profile `p` that refresh-token families need; closed at t's end. */
export async function openWithClientAndProfile(t: { teardown(fn: () => unknown): void }, backend: DatabaseBackend): Promise<DatabaseHandle> {
  const handle = await backend.open();
  t.teardown(() => handle.close());
  await handle.db.insertInto('clients').values({ client_id: 'c', name: 'c', auth_method: 'none', redirect_uris: '[]', allowed_scopes: '["openid"]' }).execute();
  await handle.db.insertInto('profiles').values({ id: 'p', login: 'p', last_name: 'Л', first_name: 'И', region: '38' }).execute();
  return handle;
}
