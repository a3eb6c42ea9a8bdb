import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { answeredAs, isDataException } from '../errors/answered-as.js';
import { NotFoundError } from '../errors/not-found.js';
import { OAuthError, ServerError, TemporarilyUnavailable, oauthErrorBody } from '../errors/oauth-errors.js';
import { infrastructureFailure, type StoreUnavailable } from '../store/unavailable.js';
import { html, page } from './pages/html.js';
import { serviceUnavailablePage } from './pages/unavailable-page.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** 'page': a browser endpoint, errors render a Russian page instead of OAuth JSON. */
    surface?: 'api' | 'page';
  }
}

/** The one place that turns any thrown error into a response. Never a bare 500 with details. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request, reply) => {
    if (error instanceof NotFoundError) {
      return reply.code(404).header('cache-control', 'no-store').send({ error: 'not_found', error_description: error.message });
    }
    const oauth = answeredAs(error);
    const down = infrastructureFailure(error);
    if (down) request.log.warn({ backend: down.backend, detail: down.detail }, 'backing service unavailable');
    else if (oauth instanceof ServerError) request.log.error({ err: error }, 'unhandled error');
    else if (isDataException(error)) request.log.warn({ code: error.code, url: request.routeOptions.url }, 'database refused a value: an edge check is missing');
    else request.log.info({ error: oauth.error, status: oauth.status, ...(oauth.logDetail ? { detail: oauth.logDetail } : {}) }, 'request refused');
    return sendError(request, reply, oauth);
  });

  app.setNotFoundHandler((request, reply) => {
    if (wantsPage(request)) {
      return reply.code(404).type('text/html; charset=utf-8').send(page('Страница не найдена', html`<h1>Страница не найдена</h1><p>Проверьте адрес или вернитесь в электронный дневник.</p>`));
    }
    return reply.code(404).send({ error: 'not_found', error_description: 'no such endpoint' });
  });
}

/**
 * The 503 page for a browser when our storage is down, with the way back to the diary (and a
 * retry) when the route knows them; logged like the error handler does.
 */
export function sendUnavailable(request: FastifyRequest, reply: FastifyReply, down: StoreUnavailable, links: { backUrl?: string | undefined; retryUrl?: string | undefined } | string = {}) {
  request.log.warn({ backend: down.backend, detail: down.detail }, 'backing service unavailable');
  const options = typeof links === 'string' ? { backUrl: links } : links;
  return reply.code(503).header('cache-control', 'no-store').header('retry-after', '5').type('text/html; charset=utf-8').send(serviceUnavailablePage(options));
}

export function sendError(request: FastifyRequest, reply: FastifyReply, error: OAuthError) {
  reply.header('cache-control', 'no-store');
  if (error instanceof TemporarilyUnavailable) reply.header('retry-after', '5');
  if (request.routeOptions.config?.surface === 'page') {
    if (error instanceof TemporarilyUnavailable) return reply.code(error.status).type('text/html; charset=utf-8').send(serviceUnavailablePage());
    return reply.code(error.status).type('text/html; charset=utf-8').send(
      page('Ошибка входа', html`<h1>Не удалось выполнить вход</h1>
<p>${error.status >= 500 ? 'В сервисе входа произошла внутренняя ошибка, вы всё сделали правильно. Вернитесь в электронный дневник и попробуйте войти ещё раз; если ошибка повторяется, сообщите о ней администратору электронного дневника.' : 'Запрос к сервису входа составлен неверно или устарел. Вернитесь в электронный дневник и начните вход заново.'}</p>
<p class="reason">Код ошибки: ${error.error}</p>`),
    );
  }
  if (error instanceof OAuthError && error.status === 401 && error.error === 'invalid_client') {
    reply.header('www-authenticate', 'Basic realm="esia-broker"');
  }
  return reply.code(error.status).send(oauthErrorBody(error));
}

function wantsPage(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/html');
}
