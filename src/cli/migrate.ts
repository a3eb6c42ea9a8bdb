import { ConfigError, loadConfig } from '../config/index.js';
import { databasePoolOptions, migrateToLatest, openDatabase } from '../store/postgres/database.js';

/** `npm run migrate`: brings DATABASE_URL (or the embedded database) up to date, then exits. */
async function migrate(): Promise<void> {
  const config = loadConfig();
  const database = await openDatabase({ url: config.storage.databaseUrl, dataDir: config.storage.dataDir, ...databasePoolOptions(config) });
  try {
    const applied = await migrateToLatest(database.db);
    process.stdout.write(applied.length > 0 ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
  } finally {
    await database.close();
  }
}

migrate().catch((error: unknown) => {
  process.stderr.write(`migrate failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(error instanceof ConfigError ? 78 : 1);
});
