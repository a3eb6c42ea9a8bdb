import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidDpopProof, OAuthError, UseDpopNonce } from '../../errors/oauth-errors.js';
import { DPOP_ALGS } from '../../oidc/dpop.js';
import type { OidcProvider } from '../../oidc/provider.js';
import { BoundTokenAsBearer, userinfo, type PresentedAccessToken } from '../../oidc/userinfo.js';
import { sendDpopNonce } from '../oidc/dpop-http.js';

/**
 * GET|POST /userinfo with an access token: `Authorization: Bearer` (RFC 6750 §2.1; also the form
 * field, §2.2) or, for a DPoP-bound token, `Authorization: DPoP` with a DPoP proof (RFC 9449 §7).
 */
export function registerUserinfoRoute(app: FastifyInstance, deps: { oidc: OidcProvider }): void {
  const { ctx } = deps.oidc;
  app.route({
    method: ['GET', 'POST'],
    url: '/userinfo',
    handler: async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const presented = presentedToken(request);
      try {
        const claims = await userinfo(ctx, presented);
        sendDpopNonce(ctx, reply);
        return reply.send(claims);
      } catch (error) {
        sendDpopNonce(ctx, reply, error);
        challenge(reply, error, presented.scheme);
        throw error;
      }
    },
  });
}

function presentedToken(request: FastifyRequest): PresentedAccessToken {
  const base = { proof: request.headers.dpop, method: request.method };
  const header = request.headers.authorization;
  if (header && /^dpop /i.test(header)) return { ...base, token: header.slice(5).trim() || undefined, scheme: 'DPoP' };
  if (header && /^bearer /i.test(header)) return { ...base, token: header.slice(7).trim() || undefined, scheme: 'Bearer' };
  const body = request.body as Record<string, unknown> | undefined;
  const isForm = (request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
  return { ...base, token: isForm && typeof body?.['access_token'] === 'string' ? body['access_token'] : undefined, scheme: 'Bearer' };
}

/**
 * RFC 6750 §3, RFC 9449 §7.1: a 401/403 names the problem in WWW-Authenticate, under the DPoP
 * scheme (with the algorithms we take) when DPoP was used or the token needs it.
 */
function challenge(reply: FastifyReply, error: unknown, scheme: PresentedAccessToken['scheme']): void {
  if (!(error instanceof OAuthError) || (error.status !== 401 && error.status !== 403)) return;
  const quoted = error.description.replace(/["\\]/g, '');
  const dpop = scheme === 'DPoP' || error instanceof BoundTokenAsBearer || error instanceof InvalidDpopProof || error instanceof UseDpopNonce;
  reply.header(
    'www-authenticate',
    dpop
      ? `DPoP realm="esia-broker", error="${error.error}", error_description="${quoted}", algs="${DPOP_ALGS.join(' ')}"`
      : `Bearer realm="esia-broker", error="${error.error}", error_description="${quoted}"`,
  );
}
