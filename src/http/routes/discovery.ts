import type { FastifyInstance } from 'fastify';
import { discoveryDocument } from '../../oidc/discovery.js';
import type { OidcProvider } from '../../oidc/provider.js';

/** GET /.well-known/openid-configuration and GET /jwks. */
export function registerDiscoveryRoutes(app: FastifyInstance, deps: { oidc: OidcProvider }): void {
  const { ctx } = deps.oidc;
  const document = discoveryDocument(ctx.issuer);

  app.get('/.well-known/openid-configuration', async (_request, reply) => {
    return reply.header('cache-control', 'public, max-age=300').send(document);
  });

  // Short cache: a removed (compromised) key must leave verifiers' caches soon. Rotation
  // publishes new keys OIDC_KEY_ACTIVATION_DELAY_SECONDS before they sign, so this is enough.
  app.get('/jwks', async (_request, reply) => {
    return reply.header('cache-control', 'public, max-age=60').type('application/jwk-set+json').send(await ctx.keys.publishedJwks());
  });
}
