import type { FastifyInstance } from 'fastify';
import { revoke } from '../../oidc/introspection.js';
import type { OidcProvider } from '../../oidc/provider.js';
import { authenticateClient, claimedClientId } from '../../oidc/token/client-auth.js';
import { limitFailures } from '../../oidc/token/failure-limit.js';
import { parseForm, presentedCredentials } from '../oidc/client-credentials.js';

/**
 * POST /revoke (RFC 7009): 200 with an empty body whether or not the token was known. Public
 * clients may revoke their own tokens with their client_id alone (§2.1), as discovery says.
 */
export function registerRevokeRoute(app: FastifyInstance, deps: { oidc: OidcProvider }): void {
  const { ctx } = deps.oidc;
  app.post('/revoke', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const form = parseForm(request);
    const credentials = presentedCredentials(request, form);
    const who = `revoke:${claimedClientId(credentials) ?? '-'}@${request.ip}`;
    await limitFailures(ctx, who, async () => revoke(ctx, await authenticateClient(ctx, credentials), form.token));
    return reply.code(200).send();
  });
}
