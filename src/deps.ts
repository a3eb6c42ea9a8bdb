import type { Directory } from './accounts/directory.js';
import type { Config } from './config/index.js';
import { createRegionsHolder, type RegionsHolder } from './config/regions.js';
import { createMetrics, type Metrics } from './metrics/metrics.js';
import type { Logger } from './observability/logger.js';
import { createMemoryStateStore } from './store/memory/memory-state-store.js';
import { migrateToLatest, openDatabase, type DatabaseHandle } from './store/postgres/database.js';
import { createPostgresDirectory } from './store/postgres/directory-repo.js';
import { createRedisStateStore } from './store/redis/redis-state-store.js';
import type { StateStore } from './store/state-store.js';

/** Everything the app needs, built once here: the composition root. */
export interface Deps {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly database: DatabaseHandle;
  readonly state: StateStore;
  readonly directory: Directory;
  /** The region table (config/regions.json); reload() on SIGHUP swaps the snapshot. */
  readonly regions: RegionsHolder;
  close(): Promise<void>;
}

export interface BuildDepsOptions {
  /** In-memory PGlite instead of files under DATA_DIR (tests). */
  inMemoryDatabase?: boolean;
}

export async function buildDeps(config: Config, logger: Logger, options: BuildDepsOptions = {}): Promise<Deps> {
  // Before anything opens: a bad region table stops the start, naming every problem.
  const regions = createRegionsHolder(config.configDir);
  const database = await openDatabase({
    url: config.storage.databaseUrl,
    dataDir: config.storage.dataDir,
    inMemory: options.inMemoryDatabase ?? false,
  });
  const closers: Array<() => Promise<void>> = [() => database.close()];
  try {
    if (config.storage.migrateOnStart) {
      const applied = await migrateToLatest(database.db);
      if (applied.length > 0) logger.info({ applied }, 'database migrated');
    }
    const state = config.storage.redisUrl
      ? await createRedisStateStore({ url: config.storage.redisUrl, keyPrefix: config.storage.redisKeyPrefix })
      : createMemoryStateStore();
    closers.push(() => state.close());
    if (!config.storage.databaseUrl) logger.warn('DATABASE_URL not set: using the embedded PGlite database (development only)');
    if (!config.storage.redisUrl) logger.warn('REDIS_URL not set: short-lived state is kept in this process (development only)');

    return {
      config,
      logger,
      metrics: createMetrics(),
      database,
      state,
      directory: createPostgresDirectory(database.db),
      regions,
      async close() {
        for (const close of closers.reverse()) await close().catch((error: unknown) => logger.error({ err: error }, 'close failed'));
      },
    };
  } catch (error) {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    throw error;
  }
}
