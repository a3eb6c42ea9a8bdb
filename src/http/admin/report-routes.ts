import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { toCsv } from '../../admin/csv.js';
import { auditFilterSchema, reportFilterSchema, type AdminQueries } from '../../admin/reports.js';
import { InvalidRequest } from '../../errors/oauth-errors.js';
import { describeZod } from '../error-handler.js';

const formatSchema = z.object({ format: z.enum(['json', 'csv']).default('json') });

const REPORTS = {
  logins: {
    columns: ['profile_id', 'full_name', 'roles', 'school_ids', 'region', 'esia_login', 'first_esia_login', 'last_esia_login', 'esia_login_count'],
    run: (q: AdminQueries, f: z.infer<typeof reportFilterSchema>) => q.loginActivity(f),
  },
  completeness: {
    columns: ['profile_id', 'full_name', 'roles', 'school_ids', 'region', 'has_snils', 'has_birth_date', 'activated'],
    run: (q: AdminQueries, f: z.infer<typeof reportFilterSchema>) => q.completeness(f),
  },
  outcomes: {
    columns: ['day', 'region', 'outcome', 'count'],
    run: (q: AdminQueries, f: z.infer<typeof reportFilterSchema>) => q.loginOutcomes(f),
  },
} as const;

export type ReportName = keyof typeof REPORTS;
export const REPORT_NAMES = Object.keys(REPORTS) as ReportName[];

function parse<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw new InvalidRequest(describeZod(result.error));
  return result.data;
}

export async function runReport(queries: AdminQueries, name: ReportName, query: unknown) {
  const filter = parse(reportFilterSchema, query);
  const report = REPORTS[name];
  return { columns: report.columns as readonly string[], rows: (await report.run(queries, filter)) as object[] };
}

/** Reports as JSON or CSV (?format=csv), and the paged audit trail. */
export function registerReportRoutes(app: FastifyInstance, queries: AdminQueries): void {
  app.get('/admin/reports/:name', async (request, reply: FastifyReply) => {
    const { name } = parse(z.object({ name: z.enum(REPORT_NAMES as [ReportName, ...ReportName[]], { error: `report must be one of ${REPORT_NAMES.join(', ')}` }) }), request.params);
    const { format, ...filterQuery } = request.query as Record<string, unknown>;
    const wanted = parse(formatSchema, { format });
    const { columns, rows } = await runReport(queries, name, filterQuery);
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
    const filter = parse(auditFilterSchema, request.query);
    return reply.header('cache-control', 'no-store').send(await queries.audit(filter));
  });
}
