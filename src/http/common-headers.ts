import type { FastifyInstance } from 'fastify';

// Our pages are self-contained (inline style, no script, no external asset) and must never
// be framed: the manual-link form takes a diary password. No form-action: a submitted form
// may be redirected on to the diary, which form-action would block in Chrome.
const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'";

/**
 * The headers every answer carries (request id, nosniff, no-referrer), and the page headers on
 * HTML. One synchronous onSend hook: every request pays for it, so no promise per request.
 */
export function installCommonHeaders(app: FastifyInstance): void {
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    const type = reply.getHeader('content-type');
    if (typeof type === 'string' && type.startsWith('text/html')) {
      reply.header('content-security-policy', PAGE_CSP);
      reply.header('x-frame-options', 'DENY');
    }
    done(null, payload);
  });
}
