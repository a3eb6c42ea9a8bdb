import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AuditLog } from '../../accounts/links.js';
import { ADMIN_ACTORS, type AdminCall } from '../../admin/admin-call.js';
import type { AdminSessions } from '../../admin/admin-sessions.js';
import { toCsv } from '../../admin/csv.js';
import { reportIsPaged, reportNameSchema, runReport, type ReportName } from '../../admin/report-runner.js';
import { ReportRefused, type AdminQueries, type FieldProblem } from '../../admin/reports.js';
import type { RegionTimeZones } from '../../policy/region-time.js';
import { randomToken, safeEqual } from '../../crypto/random.js';
import { OAuthError } from '../../errors/oauth-errors.js';
import { readSignedCookie } from '../oidc/cookies.js';
import { adminLoginPage, adminReportPage, MAX_TABLE_ROWS, REPORT_FILTER_FIELDS, refusedFilter, type AdminReportView } from '../pages/admin-page.js';
import { html, page } from '../pages/html.js';
import type { PeopleAdmin } from '../../admin/people-admin.js';
import { registerPersonPage } from './person-page-routes.js';
import { registerSchoolPage } from './school-page-routes.js';
import { reportChart } from './report-charts.js';
import type { SchoolImport } from '../../admin/school-import.js';
import type { SchoolStore } from '../../admin/school-store.js';

/**
 * /admin: the reports page behind the admin token, typed once on a form and then kept as a
 * server-side session (signed HttpOnly SameSite=Strict cookie, path /admin). Forms carry a
 * token bound to the session (logout) or to a short-lived cookie (the token form); POSTs from
 * another origin are refused. Off (404) when no ADMIN_TOKEN is configured, like the API.
 */
export interface AdminPageDeps {
  adminToken: string | undefined;
  sessions: AdminSessions;
  queries: AdminQueries;
  /** RETENTION_LOGIN_EVENTS_DAYS: the window the reports state. */
  loginEventsKeptDays: number;
  audit: AuditLog;
  publicUrl: string;
  /** The person view and erasure (/admin/person). */
  people?: PeopleAdmin | undefined;
  /** Region → time zone (the region table's); absent: every time reads Moscow time. */
  timeZones?: (() => RegionTimeZones) | undefined;
  /** The school directory page (/admin/school-directory). */
  schools?: { store: SchoolStore; importSchools: SchoolImport } | undefined;
}

const SESSION_COOKIE = 'eb_admin';
const FORM_COOKIE = 'eb_admin_form';
const FILTERS = REPORT_FILTER_FIELDS;
const loginForm = z.object({ xsrf: z.string().max(128).default(''), token: z.string().max(512).default('') });
const logoutForm = z.object({ xsrf: z.string().max(128).default('') });
const pageCall = (request: FastifyRequest): AdminCall => ({ actor: ADMIN_ACTORS.page, requestId: request.id });

/** A refusal field by field; one the runner did not break down (none today) is still shown, unnamed. */
function problemsOf(error: OAuthError): readonly FieldProblem[] {
  return error instanceof ReportRefused ? error.problems : [{ field: 'запрос', rule: 'unknown' }];
}

/** Non-empty filter fields of a query, as typed (the domain validates them). */
function filterOf(query: unknown): AdminReportView['filter'] {
  const q = (query ?? {}) as Record<string, unknown>;
  return Object.fromEntries(FILTERS.flatMap((key) => (typeof q[key] === 'string' && q[key] !== '' ? [[key, (q[key] as string).slice(0, 100)]] : [])));
}

export function registerAdminPage(app: FastifyInstance, deps: AdminPageDeps): void {
  const secure = deps.publicUrl.startsWith('https:');
  const origin = new URL(deps.publicUrl).origin;
  const cookie = (maxAgeSeconds: number) => ({ signed: true, httpOnly: true, sameSite: 'strict' as const, secure, path: '/admin', maxAge: maxAgeSeconds });
  const send = (reply: FastifyReply, status: number, body: string) => reply.code(status).type('text/html; charset=utf-8').send(body);
  const sessionOf = (request: FastifyRequest) => deps.sessions.find(readSignedCookie(request, SESSION_COOKIE));

  function loginPage(reply: FastifyReply, status: number, error?: Parameters<typeof adminLoginPage>[0]['error']) {
    const xsrf = randomToken(24);
    reply.setCookie(FORM_COOKIE, xsrf, cookie(3600));
    return send(reply, status, adminLoginPage({ xsrf, error }));
  }

  app.register(async (scope) => {
    scope.addHook('onRequest', async (request, reply) => {
      if (!deps.adminToken) return send(reply, 404, page('Страница не найдена', html`<h1>Страница не найдена</h1>`));
      if (request.method === 'POST' && request.headers.origin && request.headers.origin !== origin) {
        return send(reply, 403, page('Запрос отклонён', html`<h1>Запрос отклонён</h1><p>Форма отправлена с другого сайта.</p>`));
      }
    });
    scope.addHook('onSend', async (_request, reply) => {
      reply.header('cache-control', 'no-store');
      reply.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
      reply.header('x-frame-options', 'DENY');
      // With no-referrer (the app's default) Chrome sends `Origin: null` on form posts; the
      // page's own forms should carry their real origin for the check above.
      reply.header('referrer-policy', 'same-origin');
    });
    const surface = { config: { surface: 'page' as const } };

    scope.get('/admin', surface, async (request, reply) => {
      const session = await sessionOf(request);
      if (!session) return loginPage(reply, 200);
      const q = (request.query ?? {}) as Record<string, unknown>;
      const name = reportNameSchema.safeParse(q['report'] ?? 'logins');
      const report: ReportName = name.success ? name.data : 'logins';
      const filter = filterOf(q);
      const after = typeof q['after'] === 'string' && q['after'] !== '' ? q['after'].slice(0, 200) : undefined;
      const view: AdminReportView = { report, filter, after, columns: [], rows: [], xsrf: session.csrf, timeZones: deps.timeZones?.() ?? new Map() };
      const pageInput = reportIsPaged(report) ? { limit: MAX_TABLE_ROWS, after } : undefined;
      try {
        const result = await runReport(deps, report, filter, pageCall(request), pageInput);
        const chart = after ? false : await reportChart(report, result.rows, deps.queries, result.filter);
        return send(reply, 200, adminReportPage({ ...view, columns: result.columns, rows: result.rows, next: result.next, chart, covers: result.covers }));
      } catch (error) {
        if (!(error instanceof OAuthError) || !error.expose) throw error;
        return send(reply, 400, adminReportPage({ ...view, problems: problemsOf(error) }));
      }
    });

    scope.post('/admin/login', surface, async (request, reply) => {
      const form = loginForm.parse(request.body ?? {});
      const expected = readSignedCookie(request, FORM_COOKIE);
      if (!expected || !safeEqual(form.xsrf, expected)) return reply.redirect('/admin', 303);
      const result = await deps.sessions.login(form.token, request.ip);
      if (result.kind === 'locked') return loginPage(reply, 429, result);
      if (result.kind === 'wrong-token') {
        request.log.warn({ ip: request.ip }, 'admin page: wrong admin token');
        return loginPage(reply, 401, result);
      }
      await deps.audit.record({ actor: ADMIN_ACTORS.page, action: 'admin.login', outcome: 'ok', requestId: request.id });
      reply.clearCookie(FORM_COOKIE, { path: '/admin' });
      reply.setCookie(SESSION_COOKIE, result.session.id, cookie(Math.floor(deps.sessions.ttlMs / 1000)));
      return reply.redirect('/admin', 303);
    });

    scope.post('/admin/logout', surface, async (request, reply) => {
      const form = logoutForm.parse(request.body ?? {});
      const session = await sessionOf(request);
      if (session && safeEqual(form.xsrf, session.csrf)) {
        await deps.sessions.logout(session.id);
        await deps.audit.record({ actor: ADMIN_ACTORS.page, action: 'admin.logout', outcome: 'ok', requestId: request.id });
        reply.clearCookie(SESSION_COOKIE, { path: '/admin' });
      }
      return reply.redirect('/admin', 303);
    });

    if (deps.people) registerPersonPage(scope, { people: deps.people, sessionOf, send });
    if (deps.schools) registerSchoolPage(scope, { schools: deps.schools.store, importSchools: deps.schools.importSchools, sessionOf, send });

    scope.get('/admin/export/:file', surface, async (request, reply) => {
      const session = await sessionOf(request);
      if (!session) return send(reply, 401, page('Нужен вход', html`<h1>Нужен вход</h1><p><a href="/admin">Войдите на странице администрирования</a>.</p>`));
      const file = /^([a-z]+)\.csv$/.exec((request.params as { file: string }).file)?.[1];
      const name = reportNameSchema.safeParse(file);
      if (!name.success) return send(reply, 404, page('Отчёт не найден', html`<h1>Отчёт не найден</h1>`));
      try {
        const { columns, rows } = await runReport(deps, name.data, filterOf(request.query), pageCall(request));
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${name.data}.csv"`)
          .send(toCsv(columns as never[], rows as never[]));
      } catch (error) {
        if (!(error instanceof OAuthError) || !error.expose) throw error;
        return send(reply, 400, page('Условия отбора не приняты', html`<h1>Отчёт не выгружен</h1>${refusedFilter(problemsOf(error))}<p><a href="/admin">К отчётам</a></p>`));
      }
    });
  });
}
