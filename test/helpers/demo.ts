import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startDemo, type RunningDemo } from '../../src/demo/run-demo.js';
import { createTestDatabaseUrl, uniqueSuffix } from './backends.js';
import { sharedDevKeys } from './emulator.js';
import { createTestLogger } from './log-capture.js';

/**
 * The demo (emulator + broker + demo diary, as `npm run demo` runs them) on port 0, against
 * real Postgres/Redis when DATABASE_URL / REDIS_URL are set (fresh database and key prefix),
 * else in-memory PGlite and in-process state. Logs go to the captured test logs.
 */
export async function startTestDemo(): Promise<RunningDemo> {
  const dataDir = mkdtempSync(join(tmpdir(), 'esia-demo-test-'));
  const testDb = process.env['DATABASE_URL'] ? await createTestDatabaseUrl() : undefined;
  const keys = await sharedDevKeys();
  try {
    const demo = await startDemo({
      host: '127.0.0.1',
      ports: { broker: 0, diary: 0, emulator: 0 },
      env: {
        NODE_ENV: 'test',
        DATA_DIR: dataDir,
        CONFIG_DIR: join(import.meta.dirname, '..', '..', 'config'),
        DATABASE_URL: testDb?.url,
        REDIS_URL: process.env['REDIS_URL'],
        REDIS_KEY_PREFIX: `test:${uniqueSuffix()}:`,
        COOKIE_SECRET: 'test-cookie-secret-0123456789abcdef',
        SNILS_HMAC_KEY: 'test-snils-hmac-key-0123456789abcdef',
        KEY_ENCRYPTION_KEY: 'test-key-encryption-key-0123456789',
      },
      logger: createTestLogger(),
      devKeysDir: dirname(keys.clientKey),
      inMemoryDatabase: !testDb,
    });
    return {
      ...demo,
      async close() {
        await demo.close();
        await testDb?.drop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await testDb?.drop();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}
