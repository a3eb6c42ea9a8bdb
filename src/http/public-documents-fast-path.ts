import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { FastifyInstance, FastifyServerFactory, FastifyServerFactoryHandler } from 'fastify';
import type { Metrics } from '../metrics/metrics.js';
import type { Logger } from '../observability/logger.js';
import { routeSeries } from './request-metrics.js';

/**
 * Discovery and JWKS are fetched by every relying party and every token verifier, and they are
 * fixed documents: this serves them like static files, before Fastify's request lifecycle
 * (its request and reply objects, a child logger per request, the hook chains), which costs
 * more than building the answer. Only GET and HEAD of the exact paths; anything else (a query
 * string, OPTIONS, a JWKS not at hand, the app closing) goes to Fastify unchanged. The answer
 * is byte for byte Fastify's (routes/discovery.ts, cors.ts publicDocument, common-headers.ts):
 * the same headers in the same order, the same request id, metrics series and log lines
 * (test/integration/oidc/public-documents-fast-path.test.ts compares them).
 */

export interface PublicDocument {
  body: Buffer;
  etag: string;
}

/** The discovery document's bytes and ETag, fixed for the life of the process. */
export function fixedDocument(value: unknown): PublicDocument {
  const body = Buffer.from(JSON.stringify(value));
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}

export const DISCOVERY_PATH = '/.well-known/openid-configuration';
export const JWKS_PATH = '/jwks';
export const DISCOVERY_CACHE = 'public, max-age=300';
export const DISCOVERY_TYPE = 'application/json; charset=utf-8';
export const JWKS_CACHE = 'public, max-age=60';
export const JWKS_TYPE = 'application/jwk-set+json';

/** Tests flip `on` to compare these answers with Fastify's own on the same app. */
export interface FastPathSwitch {
  on: boolean;
}

export interface PublicDocumentsFastPath {
  /** Fastify's serverFactory: the caller's (tests pass theirs) or Fastify's own HTTP/1 server, the handler wrapped. */
  serverFactory(inner: FastifyServerFactory | undefined): FastifyServerFactory;
  /** After Fastify(): its logger, and no fast answer once the app closes (Fastify answers 503). */
  attach(app: FastifyInstance): void;
}

// A class, not a plain object: the log formatter scrubs plain objects, Fastify logs its Request (a class).
class LoggedRequest {
  constructor(
    readonly id: string,
    readonly method: string,
    readonly url: string,
  ) {}
}

type SeriesOf = ReturnType<typeof routeSeries>;

export function createPublicDocumentsFastPath(deps: {
  discovery: PublicDocument;
  /** The key ring's serialised JWKS while at hand, else undefined (Fastify's route reloads it). */
  jwks: () => PublicDocument | undefined;
  genReqId: (request: IncomingMessage) => string;
  metrics: Metrics;
  toggle?: FastPathSwitch;
}): PublicDocumentsFastPath {
  const toggle = deps.toggle ?? { on: true };
  let logger: Logger | undefined;
  let closing = false;
  // The same series as the routes' own hooks (request-metrics.ts): route pattern, method, status.
  const discoverySeries = routeSeries(deps.metrics, DISCOVERY_PATH);
  const jwksSeries = routeSeries(deps.metrics, JWKS_PATH);

  const answer = (request: IncomingMessage, response: ServerResponse, seriesOf: SeriesOf, document: PublicDocument, cacheControl: string, type: string) => {
    const start = performance.now();
    const method = request.method as string;
    const id = deps.genReqId(request);
    const log = logger?.isLevelEnabled('info') ? logger.child({ reqId: id }) : undefined;
    log?.info({ req: new LoggedRequest(id, method, request.url as string) }, 'incoming request');

    const headers: Record<string, string> = { vary: 'Origin' };
    if (typeof request.headers.origin === 'string') headers['access-control-allow-origin'] = '*';
    headers['cache-control'] = cacheControl;
    headers['etag'] = document.etag;
    const notModified = request.headers['if-none-match'] === document.etag;
    if (!notModified) headers['content-type'] = type;
    headers['x-request-id'] = id;
    headers['x-content-type-options'] = 'nosniff';
    headers['referrer-policy'] = 'no-referrer';
    const head = method === 'HEAD';
    // Fastify: no length on a GET's 304, 0 on a HEAD's (its HEAD route's onSend).
    if (!notModified) headers['content-length'] = String(document.body.length);
    else if (head) headers['content-length'] = '0';
    const status = notModified ? 304 : 200;
    response.writeHead(status, headers);
    response.end(notModified || head ? undefined : document.body, () => {
      const elapsed = performance.now() - start;
      seriesOf(method, status).observe(elapsed / 1000);
      log?.info({ res: { statusCode: status }, responseTime: elapsed }, 'request completed');
    });
  };

  const wrap = (handler: FastifyServerFactoryHandler): FastifyServerFactoryHandler =>
    function publicDocumentsFirst(request, response) {
      if (toggle.on && !closing && (request.method === 'GET' || request.method === 'HEAD')) {
        if (request.url === DISCOVERY_PATH) return answer(request, response, discoverySeries, deps.discovery, DISCOVERY_CACHE, DISCOVERY_TYPE);
        if (request.url === JWKS_PATH) {
          const jwks = deps.jwks();
          if (jwks) return answer(request, response, jwksSeries, jwks, JWKS_CACHE, JWKS_TYPE);
        }
      }
      handler(request, response);
    };

  return {
    serverFactory: (inner) => (handler, options) => (inner ? inner(wrap(handler), options) : fastifysOwnServer(wrap(handler), options)),
    attach(app) {
      // Fastify's logger: ours with its serializers (pino underneath).
      logger = app.log as unknown as Logger;
      // Registered first, so it runs right after Fastify starts answering 503 (before any I/O).
      app.addHook('preClose', (done) => {
        closing = true;
        done();
      });
    },
  };
}

/** What Fastify does to the HTTP/1 server it creates without a serverFactory (lib/server.js getServerInstance). */
function fastifysOwnServer(handler: FastifyServerFactoryHandler, options: Record<string, unknown>): Server {
  const server = createServer((options['http'] ?? {}) as object, handler);
  server.keepAliveTimeout = options['keepAliveTimeout'] as number;
  server.requestTimeout = options['requestTimeout'] as number;
  server.setTimeout(options['connectionTimeout'] as number);
  const perSocket = options['maxRequestsPerSocket'] as number | null | undefined;
  if (perSocket && perSocket > 0) server.maxRequestsPerSocket = perSocket;
  return server;
}
