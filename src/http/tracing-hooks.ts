import { SpanKind, SpanStatusCode, context, trace, type Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { incomingContext, type Tracing } from '../observability/tracing.js';

/**
 * A server span per request, named by the route template (`GET /esia/callback`, never the query:
 * it carries codes and states), the parent of every ESIA call, query and store operation the
 * request makes. A caller's W3C traceparent (a diary backend calling /token) becomes its parent.
 */
export function installTracingHooks(app: FastifyInstance, tracing: Tracing): void {
  if (!tracing.enabled) return;
  const spans = new WeakMap<FastifyRequest, Span>();
  app.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const parent = incomingContext(request.headers);
    const span = tracing.tracer.startSpan(
      `${request.method} ${route}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'http.route': route, 'url.scheme': request.protocol } },
      parent,
    );
    spans.set(request, span);
    // The rest of the request runs inside this context, so its child spans find their parent.
    context.with(trace.setSpan(parent, span), done);
  });
  const finish = (request: FastifyRequest, status: number | undefined) => {
    const span = spans.get(request);
    if (!span) return;
    spans.delete(request);
    if (status !== undefined) span.setAttribute('http.response.status_code', status);
    if (status === undefined || status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  };
  app.addHook('onResponse', (request, reply, done) => {
    finish(request, reply.statusCode);
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    finish(request, undefined);
    done();
  });
}
