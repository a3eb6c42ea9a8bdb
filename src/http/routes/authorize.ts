import type { FastifyInstance, FastifyRequest } from 'fastify';
import { EsiaError } from '../../esia/errors.js';
import { authorize, type RegionAdmission } from '../../oidc/authorize/authorize.js';
import type { LoginStarter } from '../../oidc/interaction.js';
import type { OidcProvider } from '../../oidc/provider.js';
import { bindInteraction, readSessionId } from '../oidc/interaction-http.js';
import { reasonFailure } from '../login/reason-failure.js';
import { refusalSituation } from '../login/refusal-situation.js';
import type { RegionsHolder } from '../../config/regions.js';
import { authorizeErrorPage } from '../pages/oidc-pages.js';
import { refusalPage } from '../pages/refusal-page.js';
import { infrastructureFailure } from '../../store/unavailable.js';
import { sendUnavailable } from '../error-handler.js';
import { esiaFailureStatus } from './esia-callback.js';

const HTML = 'text/html; charset=utf-8';

/**
 * GET|POST /authorize (OIDC Core §3.1.2.1): the domain decides (authorize.ts), this maps the
 * outcome to a page, a redirect to the client, or the login leg (LoginStarter).
 */
export function registerAuthorizeRoutes(
  app: FastifyInstance,
  deps: { oidc: OidcProvider; loginStarter: LoginStarter; admitRegion?: ((request: FastifyRequest) => RegionAdmission) | undefined; regions?: RegionsHolder | undefined },
): void {
  const provider = deps.oidc;

  app.route({
    method: ['GET', 'POST'],
    url: '/authorize',
    config: { surface: 'page' },
    handler: async (request, reply) => {
      const raw = request.method === 'GET' ? request.query : request.body;
      const outcome = await authorize(provider.ctx, provider.interactions, raw, readSessionId(request), deps.admitRegion?.(request));
      reply.header('cache-control', 'no-store');
      switch (outcome.kind) {
        case 'page':
          return reply.code(400).type(HTML).send(authorizeErrorPage(outcome.cause, outcome.error));
        case 'redirect':
          return reply.redirect(outcome.url, 302);
        case 'unavailable':
          return sendUnavailable(request, reply, outcome.error, outcome.backUrl);
        case 'login': {
          await bindInteraction(request, reply, outcome.interaction.id);
          try {
            return reply.redirect(await deps.loginStarter.start(outcome.interaction, [outcome.entry]), 302);
          } catch (error) {
            const down = infrastructureFailure(error);
            if (down) return sendUnavailable(request, reply, down, outcome.unavailableUrl);
            if (!(error instanceof EsiaError)) throw error;
            // The ESIA request could not be signed (in time): a clear page with the way back.
            request.log.warn({ interactionId: outcome.interaction.id, failure: error.failure, detail: error.detail }, 'ESIA login could not start');
            const backUrl = await provider.interactions.failUnstarted(outcome.interaction, reasonFailure(error.reason)).catch(() => undefined);
            return reply.code(esiaFailureStatus(error)).type(HTML).send(refusalPage(error.reason, { backUrl, situation: deps.regions && refusalSituation(deps.regions.current(), outcome.interaction.region, new Date()) }));
          }
        }
      }
    },
  });
}
