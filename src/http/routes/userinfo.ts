import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError } from '../../errors/oauth-errors.js';
import type { OidcProvider } from '../../oidc/provider.js';
import { userinfo } from '../../oidc/userinfo.js';

/** GET|POST /userinfo with a bearer access token (RFC 6750 §2.1; also the form field, §2.2). */
export function registerUserinfoRoute(app: FastifyInstance, deps: { oidc: OidcProvider }): void {
  const { ctx } = deps.oidc;
  app.route({
    method: ['GET', 'POST'],
    url: '/userinfo',
    handler: async (request, reply) => {
      reply.header('cache-control', 'no-store');
      try {
        return reply.send(await userinfo(ctx, bearerToken(request)));
      } catch (error) {
        challenge(reply, error);
        throw error;
      }
    },
  });
}

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header && /^bearer /i.test(header)) return header.slice(7).trim() || undefined;
  const body = request.body as Record<string, unknown> | undefined;
  const isForm = (request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
  return isForm && typeof body?.['access_token'] === 'string' ? body['access_token'] : undefined;
}

/** RFC 6750 §3: a 401/403 from a protected resource names the problem in WWW-Authenticate. */
function challenge(reply: FastifyReply, error: unknown): void {
  if (!(error instanceof OAuthError) || (error.status !== 401 && error.status !== 403)) return;
  const quoted = error.description.replace(/["\\]/g, '');
  reply.header('www-authenticate', `Bearer realm="esia-broker", error="${error.error}", error_description="${quoted}"`);
}
