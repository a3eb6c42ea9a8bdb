import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { AuditLog } from '../../accounts/links.js';
import { ADMIN_ACTORS } from '../../admin/admin-call.js';
import { toCsv } from '../../admin/csv.js';
import { parseOrRefuse, reportNameSchema, runReport } from '../../admin/report-runner.js';
import { auditFilterSchema, type AdminQueries } from '../../admin/reports.js';
import { InvalidRequest } from '../../errors/oauth-errors.js';

const formatSchema = z.object({ format: z.enum(['json', 'csv']).default('json') });

/**
 * Reports as JSON (the per-person ones keyset-paged: `limit`, `after`, answered with `next`) or
 * as CSV (?format=csv, always whole: a download), and the paged audit trail (not audited).
 */
export function registerReportRoutes(app: FastifyInstance, deps: { queries: AdminQueries; audit: AuditLog; loginEventsKeptDays: number }): void {
  app.get('/admin/reports/:name', async (request, reply: FastifyReply) => {
    const { name } = parseOrRefuse(z.object({ name: reportNameSchema }), request.params);
    const { format, limit, after, ...filterQuery } = request.query as Record<string, unknown>;
    const wanted = parseOrRefuse(formatSchema, { format });
    const call = { actor: ADMIN_ACTORS.api, requestId: request.id };
    if (wanted.format === 'csv' && (limit !== undefined || after !== undefined)) throw new InvalidRequest('limit, after: CSV is the whole report; paging is for JSON');
    const pageInput = wanted.format === 'json' ? { limit, after } : undefined;
    const { columns, rows, next, covers } = await runReport(deps, name, filterQuery, call, pageInput);
    reply.header('cache-control', 'no-store');
    if (wanted.format === 'csv') {
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name}.csv"`)
        .send(toCsv(columns as never[], rows as never[]));
    }
    return reply.send({ report: name, covers, columns, rows, next });
  });

  app.get('/admin/audit', async (request, reply) => {
    const filter = parseOrRefuse(auditFilterSchema, request.query);
    return reply.header('cache-control', 'no-store').send(await deps.queries.audit(filter));
  });
}
