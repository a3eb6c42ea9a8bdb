import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { discoveryDocument } from '../../oidc/discovery.js';
import type { OidcProvider } from '../../oidc/provider.js';

/** GET /.well-known/openid-configuration and GET /jwks. */
export function registerDiscoveryRoutes(app: FastifyInstance, deps: { oidc: OidcProvider }): void {
  const { ctx } = deps.oidc;
  // Fixed for the life of the process: serialised once, not per request.
  const document = Buffer.from(JSON.stringify(discoveryDocument(ctx.issuer)));
  const documentEtag = `"${createHash('sha256').update(document).digest('base64url').slice(0, 27)}"`;

  app.get('/.well-known/openid-configuration', async (request, reply) => {
    reply.header('cache-control', 'public, max-age=300').header('etag', documentEtag);
    if (request.headers['if-none-match'] === documentEtag) return reply.code(304).send();
    return reply.type('application/json; charset=utf-8').send(document);
  });

  // Short cache: a removed (compromised) key must leave verifiers' caches soon. Rotation
  // publishes new keys OIDC_KEY_ACTIVATION_DELAY_SECONDS before they sign, so this is enough.
  // Serialised once per key set (the key ring rebuilds it on rotation), with an ETag so a
  // verifier revalidating its cache gets a 304 and no body.
  app.get('/jwks', async (request, reply) => {
    const { body, etag } = await ctx.keys.publishedBody();
    reply.header('cache-control', 'public, max-age=60').header('etag', etag);
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.type('application/jwk-set+json').send(body);
  });
}
