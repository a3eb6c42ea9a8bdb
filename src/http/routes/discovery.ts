import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { discoveryDocument } from '../../oidc/discovery.js';
import type { OidcProvider } from '../../oidc/provider.js';
import type { PublishedJwks } from '../../oidc/signing-keys.js';
import { DISCOVERY_CACHE, DISCOVERY_PATH, DISCOVERY_TYPE, JWKS_CACHE, JWKS_PATH, JWKS_TYPE, fixedDocument, type PublicDocument } from '../public-documents-fast-path.js';

/** Fixed for the life of the process: serialised once, not per request. */
export function discoveryDocumentBody(issuer: string): PublicDocument {
  return fixedDocument(discoveryDocument(issuer));
}

/**
 * GET /.well-known/openid-configuration and GET /jwks. Most of their requests are answered
 * before they reach these routes (public-documents-fast-path.ts), which must answer the same.
 */
export function registerDiscoveryRoutes(app: FastifyInstance, deps: { oidc: OidcProvider }): void {
  const { ctx } = deps.oidc;
  const { body: document, etag: documentEtag } = discoveryDocumentBody(ctx.issuer);

  // Synchronous (no promise per request); it sends and returns nothing, as Fastify wants of one.
  app.get(DISCOVERY_PATH, (request, reply) => {
    reply.header('cache-control', DISCOVERY_CACHE).header('etag', documentEtag);
    if (request.headers['if-none-match'] === documentEtag) reply.code(304).send();
    else reply.type(DISCOVERY_TYPE).send(document);
  });

  // Short cache: a removed (compromised) key must leave verifiers' caches soon. Rotation
  // publishes new keys OIDC_KEY_ACTIVATION_DELAY_SECONDS before they sign, so this is enough.
  // Serialised once per key set (the key ring rebuilds it on rotation), with an ETag so a
  // verifier revalidating its cache gets a 304 and no body.
  // Synchronous while the serialised set is at hand (almost always); a promise only to reload it.
  const sendJwks = (request: FastifyRequest, reply: FastifyReply, { body, etag }: PublishedJwks) => {
    reply.header('cache-control', JWKS_CACHE).header('etag', etag);
    if (request.headers['if-none-match'] === etag) reply.code(304).send();
    else reply.type(JWKS_TYPE).send(body);
  };
  app.get(JWKS_PATH, (request, reply) => {
    const atHand = ctx.keys.publishedBodyAtHand();
    if (atHand) sendJwks(request, reply, atHand);
    else ctx.keys.publishedBody().then((published) => sendJwks(request, reply, published), (error: unknown) => reply.send(error));
  });
}
