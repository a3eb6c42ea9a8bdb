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
        // Runs on every merged object: strip personal data whatever the caller passed.
        log: (object) => scrub(object) as Record<string, unknown>,
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
