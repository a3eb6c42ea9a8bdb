import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config/index.js';
import { scheduleRetentionPurge } from './admin/retention-schedule.js';
import { buildDeps } from './deps.js';
import { createLogger } from './observability/logger.js';
import { createLogSink } from './observability/stdout-sink.js';
import { startedByNpm, watchParent } from './parent-watch.js';

/** Process entry: config → deps → app → listen; SIGTERM/SIGINT close with grace. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`esia-broker: refusing to start, ${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const logSink = createLogSink();
  const logger = createLogger({ level: config.logLevel, destination: logSink });
  for (const warning of config.warnings) logger.warn(warning);

  const deps = await buildDeps(config, logger);
  const app = await buildApp(deps);
  const address = await app.listen({ host: config.server.host, port: config.server.port });
  // The pid is the process to signal (SIGHUP reloads the regions, SIGTERM stops): not npm's.
  logger.info({ issuer: config.server.publicUrl, address: address.replace('0.0.0.0', '127.0.0.1'), brokerPid: process.pid }, 'esia-broker ready');

  // Retention (docs/personal-data.md): old login and audit events, expired and revoked grants.
  const purge = scheduleRetentionPurge({ retention: deps.retention, logger });

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    parentWatch?.stop();
    logger.info({ signal }, 'shutting down: no new connections, finishing in-flight requests');
    const deadline = Date.now() + config.server.shutdownGraceMs;
    // The last word: whatever the requests, the stores or the log pipe do, we are gone by the
    // deadline. Exiting never waits on stdout (the sink has no exit-time flush to hang in).
    const force = setTimeout(() => {
      logger.error('graceful shutdown timed out');
      process.exit(1);
    }, config.server.shutdownGraceMs);
    force.unref();
    purge.stop();
    await app.close();
    await deps.close();
    logger.info('stopped');
    // A log reader that is slow may still get the last lines; one that is gone costs nothing.
    await logSink.drain(Math.min(1000, Math.max(0, deadline - Date.now() - 50)));
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  const parentWatch = startedByNpm()
    ? watchParent((formerParent) => {
        logger.warn({ formerParent }, 'the npm process that started the broker is gone (signal the broker itself, not npm); stopping');
        void shutdown('parent exited');
      })
    : undefined;
  // Re-reads CONFIG_DIR/regions.json; a bad file is refused and the old rules keep serving.
  process.on('SIGHUP', () => {
    const result = deps.regions.reload();
    if (result.ok) logger.info({ regions: result.regions }, 'region table reloaded');
    else logger.error({ problems: result.error.problems }, 'region table reload refused, keeping the previous rules');
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`esia-broker: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
