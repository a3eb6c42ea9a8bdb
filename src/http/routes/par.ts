import type { FastifyInstance } from 'fastify';
import { SlowDown } from '../../errors/oauth-errors.js';
import { pushAuthorizationRequest } from '../../oidc/authorize/pushed.js';
import type { OidcProvider } from '../../oidc/provider.js';
import { authenticateClient, claimedClientId } from '../../oidc/token/client-auth.js';
import { limitFailures } from '../../oidc/token/failure-limit.js';
import { parseForm, presentedCredentials } from '../oidc/client-credentials.js';

/**
 * POST /par (RFC 9126 §2): the authorization request, client-authenticated as at /token and
 * under the same failure limit; 201 with the request_uri for /authorize.
 */
export function registerPushedAuthorizationRoute(app: FastifyInstance, deps: { oidc: OidcProvider }): void {
  const { ctx } = deps.oidc;
  app.post('/par', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const credentials = presentedCredentials(request, parseForm(request));
    const who = `par:${claimedClientId(credentials) ?? '-'}@${request.ip}`;
    try {
      const answer = await limitFailures(ctx, who, async () => pushAuthorizationRequest(ctx, await authenticateClient(ctx, credentials), request.body));
      return reply.code(201).send(answer);
    } catch (error) {
      if (error instanceof SlowDown) reply.header('retry-after', '60');
      throw error;
    }
  });
}
