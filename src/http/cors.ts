import type { FastifyInstance, FastifyReply } from 'fastify';
import type { BrowserOrigins } from '../oidc/browser-origins.js';

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

export function installCors(app: FastifyInstance, deps: { origins: BrowserOrigins }): void {
  app.addHook('onRequest', async (request, reply) => {
    const path = request.routeOptions.url;
    if (path === undefined || !(PUBLIC_DOCUMENTS.has(path) || path in CLIENT_ENDPOINTS)) return;
    reply.header('vary', 'Origin');
    const origin = request.headers.origin;
    if (typeof origin !== 'string') return;
    if (PUBLIC_DOCUMENTS.has(path)) reply.header('access-control-allow-origin', '*');
    else if (await deps.origins.allows(origin)) reply.header('access-control-allow-origin', origin);
    // Error answers from /userinfo carry the reason in WWW-Authenticate (RFC 6750 §3); DPoP-Nonce (RFC 9449 §8).
    if (path === '/userinfo') reply.header('access-control-expose-headers', 'WWW-Authenticate, DPoP-Nonce');
    else if (path === '/token') reply.header('access-control-expose-headers', 'DPoP-Nonce');
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
}
