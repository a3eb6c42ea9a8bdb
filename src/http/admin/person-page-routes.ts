import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ADMIN_ACTORS } from '../../admin/admin-call.js';
import type { AdminSession } from '../../admin/admin-sessions.js';
import { parsePersonRef, type PeopleAdmin, type PersonRef } from '../../admin/people-admin.js';
import { safeEqual } from '../../crypto/random.js';
import { NotFoundError } from '../../errors/not-found.js';
import { OAuthError } from '../../errors/oauth-errors.js';
import { html, page } from '../pages/html.js';
import { personPage } from '../pages/person-page.js';

export interface PersonPageDeps {
  people: PeopleAdmin;
  sessionOf(request: FastifyRequest): Promise<AdminSession | null>;
  send(reply: FastifyReply, status: number, body: string): FastifyReply;
}

const eraseForm = z.object({ xsrf: z.string().max(128).default(''), by: z.enum(['profile', 'esia']), value: z.string().max(200), confirm: z.string().max(200).default('') });
const refValue = (ref: PersonRef) => (ref.by === 'profile' ? ref.id : ref.oid);

/** The person view and erasure on the /admin page; registered inside the page's scope (its hooks). */
export function registerPersonPage(scope: FastifyInstance, deps: PersonPageDeps): void {
  const call = (request: FastifyRequest) => ({ actor: ADMIN_ACTORS.page, requestId: request.id });
  const needLogin = (reply: FastifyReply) => deps.send(reply, 401, page('Нужен вход', html`<h1>Нужен вход</h1><p><a href="/admin">Войдите на странице администрирования</a>.</p>`));
  const refused = (error: unknown): string => {
    if (error instanceof NotFoundError) return 'Такого человека нет: ни профиля, ни связи, ни записей.';
    if (error instanceof OAuthError && error.expose) return error.description;
    throw error;
  };

  scope.get('/admin/person', { config: { surface: 'page' as const } }, async (request, reply) => {
    const session = await deps.sessionOf(request);
    if (!session) return needLogin(reply);
    const q = (request.query ?? {}) as Record<string, unknown>;
    const by = typeof q['profile'] === 'string' && q['profile'] !== '' ? 'profile' : typeof q['esia_oid'] === 'string' && q['esia_oid'] !== '' ? 'esia' : undefined;
    if (!by) return deps.send(reply, 200, personPage({ xsrf: session.csrf }));
    const value = String(by === 'profile' ? q['profile'] : q['esia_oid']).slice(0, 200);
    try {
      const person = await deps.people.show(parsePersonRef(by, value), call(request));
      return deps.send(reply, 200, personPage({ xsrf: session.csrf, by, value, json: JSON.stringify(person, null, 2) }));
    } catch (error) {
      return deps.send(reply, error instanceof NotFoundError ? 404 : 400, personPage({ xsrf: session.csrf, by, value, error: refused(error) }));
    }
  });

  scope.post('/admin/person/erase', { config: { surface: 'page' as const } }, async (request, reply) => {
    const session = await deps.sessionOf(request);
    if (!session) return needLogin(reply);
    const form = eraseForm.safeParse(request.body ?? {});
    if (!form.success || !safeEqual(form.data.xsrf, session.csrf)) return reply.redirect('/admin/person', 303);
    try {
      const ref = parsePersonRef(form.data.by, form.data.value);
      if (form.data.confirm.trim() !== refValue(ref)) {
        return deps.send(reply, 400, personPage({ xsrf: session.csrf, by: ref.by, value: refValue(ref), error: 'Подтверждение не совпало: ничего не удалено.' }));
      }
      const result = await deps.people.erase(ref, call(request));
      return deps.send(reply, 200, personPage({ xsrf: session.csrf, erased: JSON.stringify(result, null, 2) }));
    } catch (error) {
      return deps.send(reply, error instanceof NotFoundError ? 404 : 400, personPage({ xsrf: session.csrf, error: refused(error) }));
    }
  });
}
