import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { discoveryDocument } from '../../oidc/discovery.js';
import type { OidcProvider } from '../../oidc/provider.js';
import type { PublishedJwks } from '../../oidc/signing-keys.js';

/** GET /.well-known/openid-configuration and GET /jwks. */
export function registerDiscoveryRoutes(app: FastifyInstance, deps: { oidc: OidcProvider }): void {
  const { ctx } = deps.oidc;
  // Fixed for the life of the process: serialised once, not per request.
  const document = Buffer.from(JSON.stringify(discoveryDocument(ctx.issuer)));
  const documentEtag = `"${createHash('sha256').update(document).digest('base64url').slice(0, 27)}"`;

  // Synchronous (no promise per request); it sends and returns nothing, as Fastify wants of one.
  app.get('/.well-known/openid-configuration', (request, reply) => {
    reply.header('cache-control', 'public, max-age=300').header('etag', documentEtag);
    if (request.headers['if-none-match'] === documentEtag) reply.code(304).send();
    else reply.type('application/json; charset=utf-8').send(document);
  });

  // Short cache: a removed (compromised) key must leave verifiers' caches soon. Rotation
  // publishes new keys OIDC_KEY_ACTIVATION_DELAY_SECONDS before they sign, so this is enough.
  // Serialised once per key set (the key ring rebuilds it on rotation), with an ETag so a
  // verifier revalidating its cache gets a 304 and no body.
  // Synchronous while the serialised set is at hand (almost always); a promise only to reload it.
  const sendJwks = (request: FastifyRequest, reply: FastifyReply, { body, etag }: PublishedJwks) => {
    reply.header('cache-control', 'public, max-age=60').header('etag', etag);
    if (request.headers['if-none-match'] === etag) reply.code(304).send();
    else reply.type('application/jwk-set+json').send(body);
  };
  app.get('/jwks', (request, reply) => {
    const atHand = ctx.keys.publishedBodyAtHand();
    if (atHand) sendJwks(request, reply, atHand);
    else ctx.keys.publishedBody().then((published) => sendJwks(request, reply, published), (error: unknown) => reply.send(error));
  });
}
