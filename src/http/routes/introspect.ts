import type { FastifyInstance } from 'fastify';
import { introspect } from '../../oidc/introspection.js';
import { INTROSPECTION_AUTH_METHODS } from '../../oidc/clients.js';
import type { OidcProvider } from '../../oidc/provider.js';
import { authenticateClient, claimedClientId } from '../../oidc/token/client-auth.js';
import { limitFailures } from '../../oidc/token/failure-limit.js';
import { parseForm, presentedCredentials } from '../oidc/client-credentials.js';

/** POST /introspect (RFC 7662), client-authenticated like /token, but never by a public client. */
export function registerIntrospectRoute(app: FastifyInstance, deps: { oidc: OidcProvider }): void {
  const { ctx } = deps.oidc;
  app.post('/introspect', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const form = parseForm(request);
    const credentials = presentedCredentials(request, form);
    const who = `introspect:${claimedClientId(credentials) ?? '-'}@${request.ip}`;
    const answer = await limitFailures(ctx, who, async () => introspect(ctx, await authenticateClient(ctx, credentials, INTROSPECTION_AUTH_METHODS), form.token));
    return reply.type(JSON_TYPE).send(answer);
  });
}

/** What Fastify sets for an object it serialises: the answer's JSON goes out byte for byte the same. */
const JSON_TYPE = 'application/json; charset=utf-8';
