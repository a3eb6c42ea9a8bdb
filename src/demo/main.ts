import { join, resolve } from 'node:path';
import pino from 'pino';
import { z } from 'zod';
import { ConfigError } from '../config/index.js';
import { createLogger } from '../observability/logger.js';
import { demoGuide } from './guide.js';
import { startDemo } from './run-demo.js';

/**
 * `npm run demo`: the ESIA emulator, esia-broker and the demo diary in one process, on
 * embedded defaults (PGlite under DATA_DIR, in-process state) unless DATABASE_URL / REDIS_URL
 * are set. The broker's JSON logs go to DEMO_LOG_FILE (DATA_DIR/demo.log) so the console keeps the guide.
 */
const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const settings = z
  .object({
    DEMO_HOST: z.string().min(1).default('localhost'),
    DEMO_BROKER_PORT: port(3000),
    DEMO_DIARY_PORT: port(3001),
    DEMO_EMULATOR_PORT: port(3100),
    DATA_DIR: z.string().min(1).default('./data'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    DEMO_LOG_FILE: z.string().min(1).optional(),
  })
  .safeParse(process.env);
if (!settings.success) {
  process.stderr.write(`demo: ${settings.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}\n`);
  process.exit(78);
}
const env = settings.data;
const logFile = resolve(env.DEMO_LOG_FILE ?? join(env.DATA_DIR, 'demo.log'));
const logger = createLogger({ level: env.LOG_LEVEL, destination: pino.destination({ dest: logFile, mkdir: true, sync: true }) });

let demo;
try {
  demo = await startDemo({
    host: env.DEMO_HOST,
    ports: { broker: env.DEMO_BROKER_PORT, diary: env.DEMO_DIARY_PORT, emulator: env.DEMO_EMULATOR_PORT },
    env: process.env,
    logger,
  });
} catch (error) {
  const message = error instanceof ConfigError ? error.message : error instanceof Error ? error.message : String(error);
  const hint = /EADDRINUSE/.test(message) ? '\n(a port is taken: set DEMO_BROKER_PORT, DEMO_DIARY_PORT or DEMO_EMULATOR_PORT)' : '';
  process.stderr.write(`demo: failed to start: ${message}${hint}\n`);
  process.exit(1);
}

const storage = [
  demo.config.storage.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite under ${demo.config.storage.dataDir}`,
  demo.config.storage.redisUrl ? 'Redis (REDIS_URL)' : 'in-process state',
].join(', ');
process.stdout.write(demoGuide({ diaryUrl: demo.diaryUrl, brokerUrl: demo.brokerUrl, emulatorUrl: demo.emulatorUrl, storage, logFile }));

let stopping = false;
const stop = (signal: string) => {
  if (stopping) {
    process.stderr.write('demo: forced exit\n');
    process.exit(1);
  }
  stopping = true;
  process.stdout.write(`\n${signal}: stopping the diary, the broker and the emulator…\n`);
  const force = setTimeout(() => {
    process.stderr.write('demo: shutdown timed out\n');
    process.exit(1);
  }, 10_000);
  force.unref();
  void demo.close().then(() => {
    logger.flush();
    process.stdout.write('demo: stopped\n');
    process.exit(0);
  });
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
