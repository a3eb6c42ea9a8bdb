import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ADMIN_ACTORS } from '../../admin/admin-call.js';
import type { AdminSession } from '../../admin/admin-sessions.js';
import type { SchoolImport } from '../../admin/school-import.js';
import type { SchoolStore } from '../../admin/school-store.js';
import { safeEqual } from '../../crypto/random.js';
import { OAuthError } from '../../errors/oauth-errors.js';
import { html, page } from '../pages/html.js';
import { schoolDirectoryPage } from '../pages/school-directory-page.js';

export interface SchoolPageDeps {
  schools: SchoolStore;
  importSchools: SchoolImport;
  sessionOf(request: FastifyRequest): Promise<AdminSession | null>;
  send(reply: FastifyReply, status: number, body: string): FastifyReply;
}

const importForm = z.object({ xsrf: z.string().max(128).default(''), csv: z.string().default(''), dry_run: z.string().max(8).optional() });

/** The school directory on the /admin page (audited as `admin:page`); inside the page's scope (its hooks). */
export function registerSchoolPage(scope: FastifyInstance, deps: SchoolPageDeps): void {
  const surface = { config: { surface: 'page' as const } };
  const needLogin = (reply: FastifyReply) => deps.send(reply, 401, page('Нужен вход', html`<h1>Нужен вход</h1><p><a href="/admin">Войдите на странице администрирования</a>.</p>`));

  scope.get('/admin/school-directory', surface, async (request, reply) => {
    const session = await deps.sessionOf(request);
    if (!session) return needLogin(reply);
    return deps.send(reply, 200, schoolDirectoryPage({ xsrf: session.csrf, schools: await deps.schools.list() }));
  });

  scope.post('/admin/school-directory', surface, async (request, reply) => {
    const form = importForm.parse(request.body ?? {});
    const session = await deps.sessionOf(request);
    if (!session || !safeEqual(form.xsrf, session.csrf)) return needLogin(reply);
    try {
      const report = await deps.importSchools({ format: 'csv', text: form.csv }, { actor: ADMIN_ACTORS.page, requestId: request.id }, { dryRun: form.dry_run !== undefined });
      return deps.send(reply, 200, schoolDirectoryPage({ xsrf: session.csrf, schools: await deps.schools.list(), report }));
    } catch (error) {
      if (!(error instanceof OAuthError) || !error.expose) throw error;
      return deps.send(reply, 400, schoolDirectoryPage({ xsrf: session.csrf, schools: await deps.schools.list(), error: error.description }));
    }
  });
}
