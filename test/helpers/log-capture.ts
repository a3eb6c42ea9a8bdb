import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { randomBytes } from 'node:crypto';
import { createLogger, type Logger } from '../../src/observability/logger.js';

/**
 * Every test app logs at debug level into test/artifacts/logs/, which the last step of
 * `npm test` greps for personal data (test/after-all/).
 */
export const LOG_DIR = join(import.meta.dirname, '..', 'artifacts', 'logs');

export function captureLogFile(): string {
  mkdirSync(LOG_DIR, { recursive: true });
  return join(LOG_DIR, `${process.pid}-${randomBytes(4).toString('hex')}.ndjson`);
}

export function createTestLogger(file: string = captureLogFile()): Logger {
  return createLogger({ level: 'debug', destination: pino.destination({ dest: file, sync: true, mkdir: true }) });
}
