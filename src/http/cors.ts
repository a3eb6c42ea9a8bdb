import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, onRequestHookHandler } from 'fastify';
import type { BrowserOrigins } from '../oidc/browser-origins.js';
import { addRouteHook } from './route-hooks.js';

/**
 * CORS for browser apps (single-page diaries, public clients with PKCE), on exactly the
 * endpoints they call. Discovery and JWKS are public documents: `*`. /token, /userinfo and
 * /revoke: the requesting origin when a registered client allows it (browser-origins.ts),
 * else nothing. Credentials (cookies) are never allowed: these endpoints take none. Pages,
 * /authorize, /introspect (servers only) and the admin API get no CORS headers at all.
 */
const PUBLIC_DOCUMENTS = new Set(['/.well-known/openid-configuration', '/jwks']);
const CLIENT_ENDPOINTS: Record<string, string> = { '/token': 'POST', '/userinfo': 'GET, POST', '/revoke': 'POST' };
// DPoP (RFC 9449): browser clients send a proof header and read the server's nonce.
const ALLOWED_HEADERS = 'authorization, content-type, dpop';
const MAX_AGE_SECONDS = '600';
// Error answers from /userinfo carry the reason in WWW-Authenticate (RFC 6750 §3); DPoP-Nonce (RFC 9449 §8).
const EXPOSED_HEADERS: Record<string, string> = { '/userinfo': 'WWW-Authenticate, DPoP-Nonce', '/token': 'DPoP-Nonce' };

/**
 * The decision is an onRequest hook on those routes only (attached as they are registered, so
 * install this before registering them): every other request pays nothing for CORS.
 */
export function installCors(app: FastifyInstance, deps: { origins: BrowserOrigins }): void {
  const covered = new Set<string>();
  app.addHook('onRoute', (route) => {
    const hook = PUBLIC_DOCUMENTS.has(route.url) ? publicDocument : route.url in CLIENT_ENDPOINTS ? clientEndpoint(route.url, deps.origins) : undefined;
    if (!hook) return;
    addRouteHook(route, 'onRequest', hook);
    for (const method of [route.method].flat()) covered.add(`${method} ${route.url}`);
  });

  const preflight = (methods: string) => async (_request: unknown, reply: FastifyReply) => {
    // The origin decision was made in onRequest; without an allowed origin the browser stops here.
    if (!reply.hasHeader('access-control-allow-origin')) return reply.code(204).send();
    return reply
      .code(204)
      .header('access-control-allow-methods', methods)
      .header('access-control-allow-headers', ALLOWED_HEADERS)
      .header('access-control-max-age', MAX_AGE_SECONDS)
      .send();
  };
  for (const path of PUBLIC_DOCUMENTS) app.options(path, preflight('GET'));
  for (const [path, methods] of Object.entries(CLIENT_ENDPOINTS)) app.options(path, preflight(methods));

  // A route of these paths registered before installCors would answer without CORS: refuse to start.
  const methods = [...[...PUBLIC_DOCUMENTS].map((path) => [path, 'GET'] as const), ...Object.entries(CLIENT_ENDPOINTS)];
  app.addHook('onReady', (done) => {
    const missing = methods.flatMap(([url, list]) => list.split(', ').map((method) => `${method} ${url}`)).filter((route) => {
      const [method, url] = route.split(' ') as [string, string];
      return app.hasRoute({ method, url }) && !covered.has(route);
    });
    done(missing.length > 0 ? new Error(`CORS: ${missing.join(', ')} registered before installCors`) : undefined);
  });
}

function publicDocument(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  reply.header('vary', 'Origin');
  if (typeof request.headers.origin === 'string') reply.header('access-control-allow-origin', '*');
  done();
}

function clientEndpoint(path: string, origins: BrowserOrigins): onRequestHookHandler {
  const exposed = EXPOSED_HEADERS[path];
  return (request, reply, done) => {
    reply.header('vary', 'Origin');
    const origin = request.headers.origin;
    if (typeof origin !== 'string') return done();
    origins.allows(origin).then((allowed) => {
      if (allowed) reply.header('access-control-allow-origin', origin);
      if (exposed) reply.header('access-control-expose-headers', exposed);
      done();
    }, done);
  };
}
