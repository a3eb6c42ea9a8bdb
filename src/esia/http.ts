import type { Metrics } from '../metrics/metrics.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import { deadlineSignal } from './deadline-signal.js';
import { EsiaError, translateEsiaError } from './errors.js';
import type { EsiaAnswer, EsiaFetch } from './transport.js';

/**
 * Every call to ESIA goes through here: one deadline for the whole back channel of a login
 * (so a callback always answers within ESIA_TIMEOUT_MS), one retry of idempotent GETs on a
 * network error, the circuit breaker, metrics, and translation of every failure.
 */
export interface EsiaCall {
  operation: 'token' | 'person' | 'contacts' | 'documents';
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** Epoch ms by which the answer must be in. */
  deadline: number;
}

export const MAX_BODY = 1024 * 1024;

export interface EsiaHttp {
  /** Resolves the parsed JSON of a 2xx answer; rejects with EsiaError otherwise. */
  call(call: EsiaCall): Promise<unknown>;
}

export function createEsiaHttp(deps: { fetch: EsiaFetch; breaker: CircuitBreaker; metrics?: Metrics | undefined; now?: () => number }): EsiaHttp {
  const now = deps.now ?? Date.now;

  async function attempt(call: EsiaCall, signal: AbortSignal): Promise<EsiaAnswer> {
    if (call.deadline - now() <= 0) throw new EsiaError('unavailable', `${call.operation}: no time left`);
    try {
      return await deps.fetch(call.url, {
        method: call.method,
        headers: { accept: 'application/json', ...call.headers },
        ...(call.body !== undefined ? { body: call.body } : {}),
        redirect: 'manual',
        signal,
      });
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      if (name === 'TimeoutError' || name === 'AbortError') throw new EsiaError('unavailable', `${call.operation}: timed out`);
      throw new NetworkError(call.operation);
    }
  }

  /** Only a network error (connection refused or reset) on an idempotent GET is tried again. */
  async function send(call: EsiaCall, signal: AbortSignal): Promise<EsiaAnswer> {
    try {
      return await attempt(call, signal);
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      if (call.method !== 'GET') throw error.translated();
      try {
        return await attempt(call, signal);
      } catch (again) {
        throw again instanceof NetworkError ? again.translated() : again;
      }
    }
  }

  async function readJson(call: EsiaCall, response: EsiaAnswer): Promise<unknown> {
    let text: string;
    try {
      text = await response.text();
    } catch {
      throw new EsiaError('unavailable', `${call.operation}: body not received in time`);
    }
    // A huge 5xx is a proxy's or server's error page (an outage); a huge 2xx/4xx is ESIA's answer we refuse.
    if (text.length > MAX_BODY) throw new EsiaError(response.status >= 500 ? 'unavailable' : 'bad_response', `${call.operation}: body too large`);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return undefined;
    }
  }

  return {
    async call(call) {
      const started = now();
      const observe = (result: string) => deps.metrics?.esiaRequests.observe({ operation: call.operation, result }, (now() - started) / 1000);
      // Our own slowness (e.g. signing) used up the deadline: ESIA was not asked, so this is no
      // evidence of an ESIA outage and must neither feed the breaker nor take its trial call.
      if (call.deadline - now() <= 0) {
        observe('no_time_left');
        throw new EsiaError('unavailable', `${call.operation}: no time left`);
      }
      if (!deps.breaker.allow()) {
        observe('circuit_open');
        throw new EsiaError('unavailable', `${call.operation}: circuit open after repeated ESIA failures`);
      }
      // Exactly one verdict per call let through, whatever happens below (a lost verdict would
      // leave a half-open trial in flight and the circuit stuck open): an outage
      // ('unavailable': network error, timeout, 5xx without a more precise ESIA code, a body
      // that never came) or ESIA up (it answered, even if with a refusal or a body we reject).
      let outage = true;
      // Until the call's deadline, over the attempts and the body; cleared once it is in.
      const deadline = deadlineSignal(call.deadline - now());
      try {
        const response = await send(call, deadline.signal);
        const body = await readJson(call, response);
        if (response.status >= 500) throw translateEsiaError({ ...errorFields(body), status: response.status });
        outage = false;
        if (response.status < 200 || response.status >= 300) throw translateEsiaError({ ...errorFields(body), status: response.status });
        if (body === undefined || body === null || typeof body !== 'object') throw new EsiaError('bad_response', `${call.operation}: not JSON`);
        observe('ok');
        return body;
      } catch (error) {
        const failure = error instanceof EsiaError ? error : new EsiaError('bad_response', `${call.operation}: unexpected`);
        outage = failure.failure === 'unavailable';
        observe(failure.failure);
        throw failure;
      } finally {
        deadline.clear();
        if (outage) deps.breaker.failure();
        else deps.breaker.success();
      }
    },
  };
}

function errorFields(body: unknown): { error?: string; description?: string } {
  if (!body || typeof body !== 'object') return {};
  const record = body as Record<string, unknown>;
  return {
    ...(typeof record['error'] === 'string' ? { error: record['error'] } : {}),
    ...(typeof record['error_description'] === 'string' ? { description: record['error_description'] } : typeof record['code'] === 'string' ? { description: record['code'] } : {}),
  };
}

class NetworkError extends Error {
  constructor(readonly operation: string) {
    super(`${operation}: network error`);
  }
  translated(): EsiaError {
    return new EsiaError('unavailable', this.message);
  }
}
