import type { Logger } from '../observability/logger.js';
import type { Retention } from './retention.js';

export const PURGE_EVERY_MS = 3600 * 1000;

/**
 * The broker's own retention timer: a pass soon after start, then hourly. A replica that is
 * restarted more often than hourly (deploys, autoscaling) still purges; every replica runs it,
 * and the purge's advisory lock lets one of them delete at a time (the others report ran=false).
 */
export function scheduleRetentionPurge(deps: { retention: Retention; logger: Logger; everyMs?: number; firstAfterMs?: number }): { stop(): void } {
  const pass = () => {
    deps.retention
      .purge({ actor: 'system' })
      .then((report) => report.ran && deps.logger.info({ deleted: report.deleted, windows: report.windows }, 'retention purge done'))
      .catch((error: unknown) => deps.logger.warn({ err: error }, 'retention purge failed'));
  };
  const first = setTimeout(pass, deps.firstAfterMs ?? 5000);
  const every = setInterval(pass, deps.everyMs ?? PURGE_EVERY_MS);
  first.unref();
  every.unref();
  return {
    stop() {
      clearTimeout(first);
      clearInterval(every);
    },
  };
}
