import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp, type BuildAppOptions } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { buildDeps, type Deps } from '../../src/deps.js';
import { createTestDatabaseUrl, uniqueSuffix } from './backends.js';
import { sharedDevKeys } from './emulator.js';
import { createTestLogger } from './log-capture.js';
import { pgliteTemplate } from './pglite-template.js';

export interface TestBroker {
  url: string;
  app: FastifyInstance;
  deps: Deps;
  config: Config;
  close(): Promise<void>;
}

export interface StartBrokerOptions {
  env?: Record<string, string | undefined>;
  /** Force the embedded backends even when DATABASE_URL / REDIS_URL are set. */
  embedded?: boolean;
  /** Replaces parts of the built deps (e.g. a test LoginStarter); gets the broker's URL. */
  overrides?: (deps: Deps, url: string) => Partial<Deps>;
  /** Extra routes (test seams), registered after the app's own and before it starts. */
  routes?: (app: FastifyInstance, deps: Deps) => void;
  /** Handlers other legs provide (e.g. a test person handler for the ESIA callback). */
  app?: Omit<BuildAppOptions, 'serverFactory'>;
}

/**
 * A broker on a real socket (port 0). Against real Postgres/Redis when the environment has
 * them (each broker gets a fresh database and key prefix), else on in-memory PGlite and state.
 */
export async function startBroker(options: StartBrokerOptions = {}): Promise<TestBroker> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const publicUrl = `http://127.0.0.1:${port}`;

  const dataDir = mkdtempSync(join(tmpdir(), 'esia-broker-test-'));
  const databaseUrl = options.embedded ? undefined : process.env['DATABASE_URL'];
  const redisUrl = options.embedded ? undefined : process.env['REDIS_URL'];
  const testDb = databaseUrl ? await createTestDatabaseUrl() : undefined;

  const esiaKeys = await sharedDevKeys();
  const config = loadConfig({
    NODE_ENV: 'test',
    // One set of development ESIA keys per test process; tests that need others override them.
    ESIA_KEY_FILE: esiaKeys.clientKey,
    ESIA_CERT_FILE: esiaKeys.clientCert,
    ESIA_TOKEN_CERT_FILE: esiaKeys.esiaTokenCerts,
    PUBLIC_URL: publicUrl,
    DATA_DIR: dataDir,
    CONFIG_DIR: join(import.meta.dirname, '..', '..', 'config'),
    DATABASE_URL: testDb?.url,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: `test:${uniqueSuffix()}:`,
    MIGRATE_ON_START: 'true',
    COOKIE_SECRET: 'test-cookie-secret-0123456789abcdef',
    SNILS_HMAC_KEY: 'test-snils-hmac-key-0123456789abcdef',
    KEY_ENCRYPTION_KEY: 'test-key-encryption-key-0123456789',
    ADMIN_TOKEN: 'test-admin-token-0123456789abcdef',
    ...options.env,
  });
  const built = await buildDeps(config, createTestLogger(), testDb ? {} : { inMemoryDatabase: true, pgliteTemplate: await pgliteTemplate() });
  const deps: Deps = options.overrides ? { ...built, ...options.overrides(built, publicUrl) } : built;
  const app = await buildApp(deps, {
    ...options.app,
    serverFactory: (handler) => {
      server.on('request', handler);
      return server;
    },
  });
  options.routes?.(app, deps);
  await app.ready();

  return {
    url: publicUrl,
    app,
    deps,
    config,
    async close() {
      await app.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await deps.close();
      await testDb?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
