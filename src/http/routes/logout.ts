import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { InvalidRequest } from '../../errors/oauth-errors.js';
import { readable } from '../../validation/readable-text.js';
import type { LoginStarter } from '../../oidc/interaction.js';
import { logout } from '../../oidc/logout.js';
import type { OidcProvider } from '../../oidc/provider.js';
import { clearSessionCookie } from '../oidc/cookies.js';
import { readSessionId } from '../oidc/interaction-http.js';
import { loggedOutPage, logoutConfirmPage } from '../pages/oidc-pages.js';

const once = (max: number) => readable(z.string({ error: 'must be given once' }).max(max)).optional();
const logoutParams = z.object({
  id_token_hint: once(8192),
  post_logout_redirect_uri: once(2000),
  state: once(2048),
  client_id: once(128),
  xsrf: once(128),
});

/** GET|POST /logout: RP-initiated logout; ends the broker session and offers ESIA logout. */
export function registerLogoutRoute(app: FastifyInstance, deps: { oidc: OidcProvider; loginStarter: LoginStarter }): void {
  const provider = deps.oidc;
  app.route({
    method: ['GET', 'POST'],
    url: '/logout',
    config: { surface: 'page' },
    handler: async (request, reply) => {
      const parsed = logoutParams.safeParse((request.method === 'GET' ? request.query : request.body) ?? {});
      if (!parsed.success) throw new InvalidRequest('malformed logout request');
      const p = parsed.data;
      const outcome = await logout(
        provider.ctx,
        { idTokenHint: p.id_token_hint, postLogoutRedirectUri: p.post_logout_redirect_uri, state: p.state, clientId: p.client_id, xsrf: request.method === 'POST' ? p.xsrf : undefined },
        readSessionId(request),
      );
      reply.header('cache-control', 'no-store').type('text/html; charset=utf-8');
      if (outcome.kind === 'confirm') {
        return reply.send(logoutConfirmPage({ xsrf: outcome.xsrf, postLogoutRedirectUri: p.post_logout_redirect_uri, state: p.state, clientId: outcome.clientId }));
      }
      clearSessionCookie(reply, provider);
      const esiaLogoutUrl = outcome.ended?.esiaSessionId !== undefined ? deps.loginStarter.esiaLogoutUrl?.(outcome.backUrl ?? provider.ctx.issuer) : undefined;
      if (esiaLogoutUrl) return reply.send(loggedOutPage(outcome.backUrl, esiaLogoutUrl));
      if (outcome.backUrl) return reply.redirect(outcome.backUrl, 302);
      return reply.send(loggedOutPage(undefined, undefined));
    },
  });
}
