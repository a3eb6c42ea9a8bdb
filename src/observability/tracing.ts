import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOffSampler, AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, type Sampler } from '@opentelemetry/sdk-trace-base';
import type { TracingConfig } from '../config/tracing.js';
import type { Logger } from './logger.js';

/**
 * Optional OpenTelemetry traces of each request: the server span, and inside it the ESIA calls,
 * the Postgres queries and the state-store (Redis) operations. Attributes are chosen from fixed
 * vocabularies (route templates, SQL verbs and tables, store method names, status codes), never
 * from values, so no personal data, code, token or state can reach a span. Off by default: then
 * nothing is wrapped and the hot paths pay nothing.
 */
export interface Tracing {
  readonly enabled: boolean;
  readonly tracer: Tracer;
  /** Runs `work` inside a child span of the active one; a throw marks it failed. */
  inSpan<T>(name: string, options: { kind?: SpanKind; attributes?: Attributes }, work: (span: Span) => Promise<T>): Promise<T>;
  /** A span for work already timed elsewhere (kysely reports a query after it ran). */
  record(name: string, attributes: Attributes, startedAt: number, durationMs: number, failure?: string): void;
  /** Flushes what is buffered; the process is about to stop. */
  shutdown(): Promise<void>;
}

const noopTracer = trace.getTracer('esia-broker-off');

export const TRACING_OFF: Tracing = {
  enabled: false,
  tracer: noopTracer,
  inSpan: (_name, _options, work) => work(trace.wrapSpanContext({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 })),
  record: () => undefined,
  shutdown: async () => undefined,
};

let processWide = false;
/** The context manager and W3C propagator are process-wide; each broker has its own provider. */
function installProcessWide(): void {
  if (processWide) return;
  processWide = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
}

function samplerOf(config: TracingConfig): Sampler {
  const root: Sampler = config.sampler.endsWith('always_off') ? new AlwaysOffSampler() : config.sampler.endsWith('traceidratio') ? new TraceIdRatioBasedSampler(config.ratio) : new AlwaysOnSampler();
  return config.sampler.startsWith('parentbased_') ? new ParentBasedSampler({ root }) : root;
}

export function createTracing(config: TracingConfig, logger: Logger): Tracing {
  if (!config.tracesUrl) return TRACING_OFF;
  installProcessWide();
  const exporter = new OTLPTraceExporter({ url: config.tracesUrl, headers: { ...config.headers }, timeoutMillis: 5000 });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    sampler: samplerOf(config),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000 })],
  });
  const tracer = provider.getTracer('esia-broker');
  // The collector's address without user:password or query (a key can ride in either).
  const shown = new URL(config.tracesUrl);
  logger.info({ tracesUrl: `${shown.origin}${shown.pathname}`, sampler: config.sampler }, 'OpenTelemetry tracing on');

  const fail = (span: Span, error: unknown) => {
    // The error's class or code only: messages can quote values (a Postgres key, an ESIA body).
    const code = (error as { code?: unknown } | null)?.code;
    span.setStatus({ code: SpanStatusCode.ERROR, message: typeof code === 'string' ? code : ((error as Error | null)?.name ?? 'error') });
  };
  return {
    enabled: true,
    tracer,
    async inSpan(name, options, work) {
      const span = tracer.startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, ...(options.attributes ? { attributes: options.attributes } : {}) });
      try {
        return await context.with(trace.setSpan(context.active(), span), () => work(span));
      } catch (error) {
        fail(span, error);
        throw error;
      } finally {
        span.end();
      }
    },
    record(name, attributes, startedAt, durationMs, failure) {
      const span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes, startTime: startedAt });
      if (failure) span.setStatus({ code: SpanStatusCode.ERROR, message: failure });
      span.end(startedAt + durationMs);
    },
    async shutdown() {
      await provider.shutdown().catch((error: unknown) => logger.warn({ err: error }, 'OpenTelemetry: the last spans could not be sent'));
    },
  };
}

/** The server span's parent: a caller's W3C traceparent, if it sent one. */
export function incomingContext(headers: Record<string, string | string[] | undefined>): Context {
  return propagation.extract(ROOT_CONTEXT, headers);
}

/** ESIA's paths carry the person's oid (/rs/prns/1000000101/ctts): numbers become {id}. */
export function pathTemplate(url: URL): string {
  return url.pathname.replace(/\/\d+(?=\/|$)/g, '/{id}');
}

/** A fetch-shaped call (global fetch, or the ESIA transport) with a client span per call (ESIA, the http signer). */
export function tracedFetch<Init extends { method?: string | undefined } | undefined, Answer extends { status: number }>(
  tracing: Tracing,
  inner: (url: string, init: Init) => Promise<Answer>,
  peer: string,
): (url: string, init: Init) => Promise<Answer> {
  if (!tracing.enabled) return inner;
  return (url, init) => {
    const method = init?.method ?? 'GET';
    const target = new URL(url);
    const template = pathTemplate(target);
    return tracing.inSpan(
      `${peer} ${method} ${template}`,
      { kind: SpanKind.CLIENT, attributes: { 'http.request.method': method, 'server.address': target.hostname, 'url.template': template, 'peer.service': peer } },
      async (span) => {
        const response = await inner(url, init);
        span.setAttribute('http.response.status_code', response.status);
        if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        return response;
      },
    );
  };
}

/** The verb and table of a statement kysely ran: "SELECT refresh_tokens". */
export function describeSql(sql: string): { operation: string; table: string | undefined } {
  const operation = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? 'QUERY';
  const table = /\b(?:from|into|update|join)\s+"?([a-z_][a-z0-9_]*)"?/i.exec(sql)?.[1];
  return { operation, table };
}

/** Kysely's log hook: a span per query, after the fact, with the verb and table only. */
export function queryLogger(tracing: Tracing, system: 'postgresql' | 'pglite') {
  return (event: { level: 'query' | 'error'; query: { sql: string }; queryDurationMillis: number; error?: unknown }): void => {
    const { operation, table } = describeSql(event.query.sql);
    const failure = event.level === 'error' ? String((event.error as { code?: unknown } | null)?.code ?? 'error') : undefined;
    tracing.record(`${system === 'pglite' ? 'pglite' : 'pg'} ${operation}${table ? ` ${table}` : ''}`, { 'db.system.name': 'postgresql', 'db.operation.name': operation, ...(table ? { 'db.collection.name': table } : {}) }, Date.now() - event.queryDurationMillis, event.queryDurationMillis, failure);
  };
}

/** Every promise-returning method of a store, in a span named after the method. */
export function tracedStore<T extends object>(store: T, tracing: Tracing, system: string): T {
  if (!tracing.enabled) return store;
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string' || property === 'close') return value;
      return (...args: unknown[]) =>
        tracing.inSpan(`${system} ${property}`, { kind: SpanKind.CLIENT, attributes: { 'db.system.name': system, 'db.operation.name': property } }, async () => (value as (...a: unknown[]) => unknown).apply(target, args));
    },
  });
}
