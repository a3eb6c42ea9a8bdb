import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { AuditLog } from '../../accounts/links.js';
import { ADMIN_ACTORS } from '../../admin/admin-call.js';
import { toCsv } from '../../admin/csv.js';
import { parseOrRefuse, reportNameSchema, runReport } from '../../admin/report-runner.js';
import { auditFilterSchema, type AdminQueries } from '../../admin/reports.js';

const formatSchema = z.object({ format: z.enum(['json', 'csv']).default('json') });

/** Reports as JSON or CSV (?format=csv), and the paged audit trail (reading it is not audited). */
export function registerReportRoutes(app: FastifyInstance, deps: { queries: AdminQueries; audit: AuditLog }): void {
  app.get('/admin/reports/:name', async (request, reply: FastifyReply) => {
    const { name } = parseOrRefuse(z.object({ name: reportNameSchema }), request.params);
    const { format, ...filterQuery } = request.query as Record<string, unknown>;
    const wanted = parseOrRefuse(formatSchema, { format });
    const { columns, rows } = await runReport(deps, name, filterQuery, { actor: ADMIN_ACTORS.api, requestId: request.id });
    reply.header('cache-control', 'no-store');
    if (wanted.format === 'csv') {
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name}.csv"`)
        .send(toCsv(columns as never[], rows as never[]));
    }
    return reply.send({ report: name, columns, rows });
  });

  app.get('/admin/audit', async (request, reply) => {
    const filter = parseOrRefuse(auditFilterSchema, request.query);
    return reply.header('cache-control', 'no-store').send(await deps.queries.audit(filter));
  });
}
