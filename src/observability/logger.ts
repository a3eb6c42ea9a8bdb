import pino, { type DestinationStream, type Logger } from 'pino';
import { scrub, scrubString, scrubUrl } from './redact.js';
import { createLogSink } from './stdout-sink.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level: string;
  /**
   * Where lines go; stdout through createLogSink() by default (never blocks, never hangs the
   * exit on a broken pipe). Tests pass a file to grep afterwards.
   */
  destination?: DestinationStream;
  base?: Record<string, unknown>;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'esia-broker', ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        // Runs on every merged object: strip personal data whatever the caller passed, and keep
        // pino's own keys pino's (a caller's `level` would override the numeric level).
        log: (object) => unshadow(scrub(object) as Record<string, unknown>),
      },
      hooks: {
        // Messages and format arguments are strings the merging-object scrub never sees.
        logMethod(args, method) {
          const scrubbed = args.map((arg: unknown) => (typeof arg === 'string' ? scrubString(arg) : arg));
          return method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
      serializers: {
        req: (req: { id?: string; method?: string; url?: string }) => ({ id: req.id, method: req.method, url: req.url ? scrubUrl(req.url) : undefined }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
        err: (err: Error) => scrub(err),
      },
    },
    options.destination ?? createLogSink(),
  );
}

/** Keys pino writes itself; a field of the same name would be a second, later JSON key. */
export const PINO_KEYS: ReadonlySet<string> = new Set(['level', 'time', 'pid', 'hostname', 'msg']);

/** Renames a caller's `level` (and the like) to `field_level`, so pipelines read pino's. */
export function unshadow(object: Record<string, unknown>): Record<string, unknown> {
  if (!Object.keys(object).some((key) => PINO_KEYS.has(key))) return object;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) out[PINO_KEYS.has(key) ? `field_${key}` : key] = value;
  return out;
}
