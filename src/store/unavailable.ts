/**
 * A backing service is down, refusing connections or too slow to answer within its deadline:
 * not the request's fault and not a bug, so the caller answers 503 (temporarily_unavailable)
 * and the person may try again shortly. The Redis and Postgres adapters translate their
 * libraries' errors into this (each knows its own library); everything else asks
 * infrastructureFailure(), the one place that decides.
 */
export type Backend = 'redis' | 'postgres';

export class StoreUnavailable extends Error {
  constructor(
    readonly backend: Backend,
    /** Safe for logs: the library's error text or code, never a value or a key. */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${backend} unavailable: ${detail}`, options);
    this.name = 'StoreUnavailable';
  }
}

/** The StoreUnavailable behind error (itself or a cause a few levels down), if any. */
export function infrastructureFailure(error: unknown): StoreUnavailable | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current instanceof StoreUnavailable) return current;
    current = current.cause;
  }
  return undefined;
}
