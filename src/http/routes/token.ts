import type { FastifyInstance } from 'fastify';
import { SlowDown } from '../../errors/oauth-errors.js';
import type { OidcProvider } from '../../oidc/provider.js';
import { tokenEndpoint } from '../../oidc/token/token-endpoint.js';
import { parseForm, presentedCredentials, resources } from '../oidc/client-credentials.js';
import { sendDpopNonce } from '../oidc/dpop-http.js';

/** POST /token (RFC 6749 §3.2): form in, tokens out, never cached (RFC 6749 §5.1). */
export function registerTokenRoute(app: FastifyInstance, deps: { oidc: OidcProvider }): void {
  const { ctx } = deps.oidc;
  app.post('/token', async (request, reply) => {
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    try {
      const form = parseForm(request);
      const tokens = await tokenEndpoint(ctx, {
        grantType: form.grant_type,
        code: form.code,
        redirectUri: form.redirect_uri,
        codeVerifier: form.code_verifier,
        refreshToken: form.refresh_token,
        scope: form.scope,
        resource: resources(form),
        credentials: presentedCredentials(request, form),
        remoteAddress: request.ip,
        dpopProof: request.headers.dpop,
      });
      sendDpopNonce(ctx, reply);
      return reply.send(tokens);
    } catch (error) {
      sendDpopNonce(ctx, reply, error);
      if (error instanceof SlowDown) reply.header('retry-after', '60');
      throw error;
    }
  });
}
