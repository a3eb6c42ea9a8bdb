import { writeSync } from 'node:fs';

/**
 * Where the broker's log lines go by default (stdout). pino's own destination (sonic-boom)
 * flushes synchronously at process exit and retries a failing write in a loop: with the pipe's
 * reader gone (EPIPE) or stalled (EAGAIN) that loop never ends, and a broker told to stop never
 * exits. This sink never blocks and never loops: it writes what the pipe takes now, keeps a
 * bounded backlog for a slow reader, and stops writing for good once the pipe is broken.
 */
export interface LogSink {
  write(line: string): void;
  /** pino's logger.flush(cb) calls this; calls back when the backlog is written or dropped. */
  flush(callback?: (error?: Error) => void): void;
  /** Waits at most `ms` for the backlog to be written; never throws. */
  drain(ms: number): Promise<void>;
  /** For tests and the shutdown log line: what happened to the lines. */
  state(): { broken: boolean; backlogBytes: number; dropped: number };
}

export interface LogSinkOptions {
  fd?: number;
  /** Backlog kept while the reader is slow; lines beyond it are dropped (and counted). */
  maxBacklogBytes?: number;
  /** How often a backlog is retried while the reader does not take it. */
  retryMs?: number;
}

export function createLogSink(options: LogSinkOptions = {}): LogSink {
  const fd = options.fd ?? 1;
  const maxBacklog = options.maxBacklogBytes ?? 4 * 1024 * 1024;
  const retryMs = options.retryMs ?? 50;
  let backlog: Buffer[] = [];
  let backlogBytes = 0;
  let dropped = 0;
  let broken = false;
  let retry: NodeJS.Timeout | undefined;
  const waiters = new Set<() => void>();

  const settle = () => {
    for (const waiter of waiters) waiter();
    waiters.clear();
  };
  const breakForGood = () => {
    // EPIPE and friends: nobody will ever read these lines; stop trying and free the memory.
    broken = true;
    dropped += backlog.length;
    backlog = [];
    backlogBytes = 0;
    if (retry) clearTimeout(retry);
    retry = undefined;
    settle();
  };
  /** Writes as much of the backlog as the pipe takes now; false when it took less than all. */
  const pump = (): boolean => {
    while (backlog.length > 0) {
      const head = backlog[0]!;
      let written: number;
      try {
        written = writeSync(fd, head);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return false;
        breakForGood();
        return true;
      }
      backlogBytes -= written;
      if (written < head.length) backlog[0] = head.subarray(written);
      else backlog.shift();
    }
    settle();
    return true;
  };
  const schedule = () => {
    if (retry || broken) return;
    retry = setTimeout(() => {
      retry = undefined;
      if (!pump()) schedule();
    }, retryMs);
    // A backlog alone must not keep a finished process alive.
    retry.unref();
  };

  return {
    write(line) {
      if (broken) return;
      const bytes = Buffer.from(line);
      if (backlogBytes + bytes.length > maxBacklog) {
        dropped += 1;
        return;
      }
      backlog.push(bytes);
      backlogBytes += bytes.length;
      // Lines queue behind a backlog, in order; only the first one tries the pipe at once.
      if (backlog.length === 1 && !pump()) schedule();
    },
    flush(callback) {
      void drain(1000).then(() => callback?.());
    },
    drain,
    state: () => ({ broken, backlogBytes, dropped }),
  };

  function drain(ms: number): Promise<void> {
    if (broken || backlog.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      // Not unref'd: it holds the loop open so the retries can run, and it ends by itself.
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        waiters.delete(done);
        resolve();
      }
      waiters.add(done);
    });
  }
}
