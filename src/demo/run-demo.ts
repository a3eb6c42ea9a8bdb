import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../app.js';
import { loadConfig, type Config, type Env } from '../config/index.js';
import { buildDeps, type Deps } from '../deps.js';
import { startEmulator, type RunningEmulator } from '../emulator/index.js';
import { ensureDevKeys } from '../esia/dev-keys.js';
import { createOpenssl, DEFAULT_GOST_ENGINE } from '../esia/openssl.js';
import type { Logger } from '../observability/logger.js';
import { DEMO_CLASSES, DEMO_REGION, DEMO_SCHOOLS } from './demo-data.js';
import { listenEarly } from './early-socket.js';
import { createDiaryApp } from './diary/diary-app.js';
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, seedDemoClient, seedDemoProfiles } from './seed.js';

/**
 * The whole product in one process: the ESIA emulator, esia-broker (built exactly as
 * src/main.ts builds it) and the demo diary, wired to each other on the given ports (0: any
 * free port, as the tests use), with the demo profiles and client seeded.
 */
export interface DemoOptions {
  /** Host in every URL and the address listened on. Default localhost. */
  host?: string;
  ports?: { broker?: number; diary?: number; emulator?: number };
  /** The broker's settings (DATABASE_URL, REDIS_URL, DATA_DIR, secrets, LOG_LEVEL…); ESIA_* are the demo's. */
  env?: Env;
  logger: Logger;
  /** Where the development GOST keys live (generated if missing); default DATA_DIR/esia-dev. */
  devKeysDir?: string;
  /** In-memory PGlite instead of DATA_DIR/pglite (tests). */
  inMemoryDatabase?: boolean;
}

export interface RunningDemo {
  diaryUrl: string;
  brokerUrl: string;
  emulatorUrl: string;
  config: Config;
  deps: Deps;
  emulator: RunningEmulator;
  close(): Promise<void>;
}

/** The emulator's approved scopes for the broker: everything the broker may ask for. */
const EMULATOR_SCOPES = 'openid fullname birthdate birthplace gender snils inn id_doc birth_cert_doc email mobile contacts addresses usr_org'.split(' ');

export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const host = options.host ?? 'localhost';
  const env = options.env ?? process.env;
  const closers: Array<() => Promise<unknown>> = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch((error: unknown) => options.logger.error({ err: error }, 'demo: close failed'));
    closers.length = 0;
  };
  try {
    const openssl = createOpenssl({ bin: env['ESIA_OPENSSL_BIN'] ?? 'openssl', enginePath: env['ESIA_GOST_ENGINE'] ?? DEFAULT_GOST_ENGINE });
    const keysDir = options.devKeysDir ?? join(resolve(env['DATA_DIR'] ?? './data'), 'esia-dev');
    const keys = await ensureDevKeys(openssl, keysDir);

    const brokerSocket = await listenEarly(options.ports?.broker ?? 3000, host);
    closers.push(() => brokerSocket.close());
    const diarySocket = await listenEarly(options.ports?.diary ?? 3001, host);
    closers.push(() => diarySocket.close());

    const emulator = await startEmulator({
      port: options.ports?.emulator ?? 3100,
      host,
      tokenKeys: { devKeysDir: keysDir },
      openssl: { enginePath: env['ESIA_GOST_ENGINE'] ?? DEFAULT_GOST_ENGINE },
      controlApi: true,
      clients: [{ clientId: 'ESIA_BROKER_DEV', redirectUris: [`${brokerSocket.url}/esia/callback`], certificates: [readFileSync(keys.clientCert, 'utf8')], scopes: EMULATOR_SCOPES, tokenAlg: 'RS256' }],
    });
    closers.push(() => emulator.close());

    const config = loadConfig({
      NODE_ENV: 'development',
      MIGRATE_ON_START: 'true',
      ...env,
      PUBLIC_URL: brokerSocket.url,
      ESIA_URL: emulator.url,
      ESIA_CLIENT_ID: 'ESIA_BROKER_DEV',
      ESIA_SIGNER: 'openssl',
      ESIA_KEY_FILE: keys.clientKey,
      ESIA_CERT_FILE: keys.clientCert,
      ESIA_TOKEN_CERT_FILE: keys.esiaTokenCerts,
      ESIA_KEY_PASSPHRASE: undefined,
      ESIA_CERT_HASH: undefined,
      ESIA_ISSUER: undefined,
      ESIA_REDIRECT_URI: undefined,
    });
    const deps = await buildDeps(config, options.logger, { inMemoryDatabase: options.inMemoryDatabase ?? false });
    closers.push(() => deps.close());
    const broker: FastifyInstance = await buildApp(deps, { serverFactory: brokerSocket.factory });
    closers.push(() => broker.close());
    await broker.ready();

    const seeded = await seedDemoProfiles(deps);
    options.logger.info(seeded, 'demo profiles imported, their links reset');
    await seedDemoClient(deps.clients, diarySocket.url, DEMO_CLIENT_SECRET);
    // The diary reads the broker's discovery document next: the broker answers from here on.
    brokerSocket.ready();

    const diary = await createDiaryApp({
      issuer: brokerSocket.url,
      clientId: DEMO_CLIENT_ID,
      clientSecret: DEMO_CLIENT_SECRET,
      publicUrl: diarySocket.url,
      region: DEMO_REGION,
      schoolNames: DEMO_SCHOOLS,
      classesOf: DEMO_CLASSES,
      serverFactory: diarySocket.factory,
    });
    closers.push(() => diary.close());
    await diary.ready();
    diarySocket.ready();

    return { diaryUrl: diarySocket.url, brokerUrl: brokerSocket.url, emulatorUrl: emulator.url, config, deps, emulator, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
