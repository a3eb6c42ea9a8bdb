import { z } from 'zod';
import type { AuditLog } from '../accounts/links.js';
import { InvalidRequest } from '../errors/oauth-errors.js';
import type { AdminCall } from './admin-call.js';
import { reportFilterSchema, type AdminQueries, type ReportFilter } from './reports.js';

/**
 * The reports by name with their CSV columns, for the API, the /admin page and the CLI alike.
 * Every run is audited (`report.read`, the filter in details): they list people.
 */
const REPORTS = {
  logins: {
    title: 'Активность входа через госуслуги',
    columns: ['profile_id', 'full_name', 'roles', 'school_ids', 'region', 'esia_login', 'first_esia_login', 'last_esia_login', 'esia_login_count'],
    run: (q: AdminQueries, f: ReportFilter) => q.loginActivity(f),
  },
  completeness: {
    title: 'Наполненность данными',
    columns: ['profile_id', 'full_name', 'roles', 'school_ids', 'region', 'has_snils', 'has_birth_date', 'activated'],
    run: (q: AdminQueries, f: ReportFilter) => q.completeness(f),
  },
  outcomes: {
    title: 'Итоги входов по дням и причинам',
    columns: ['day', 'region', 'outcome', 'count'],
    run: (q: AdminQueries, f: ReportFilter) => q.loginOutcomes(f),
  },
} as const;

export type ReportName = keyof typeof REPORTS;
export const REPORT_NAMES = Object.keys(REPORTS) as ReportName[];
export const reportTitle = (name: ReportName): string => REPORTS[name].title;

export const reportNameSchema = z.enum(REPORT_NAMES as [ReportName, ...ReportName[]], { error: `report must be one of ${REPORT_NAMES.join(', ')}` });

export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

export function parseOrRefuse<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw new InvalidRequest(describeIssues(result.error));
  return result.data;
}

export interface ReportResult {
  name: ReportName;
  columns: readonly string[];
  rows: Array<Record<string, unknown>>;
}

export async function runReport(deps: { queries: AdminQueries; audit: AuditLog }, name: ReportName, filterInput: unknown, call: AdminCall): Promise<ReportResult> {
  const filter = parseOrRefuse(reportFilterSchema, filterInput);
  const report = REPORTS[name];
  const rows = (await report.run(deps.queries, filter)) as unknown as Array<Record<string, unknown>>;
  const details = Object.fromEntries(Object.entries({ report: name, rows: rows.length, ...filter }).filter(([, v]) => v !== undefined)) as Record<string, string | number>;
  await deps.audit.record({ actor: call.actor, action: 'report.read', target: name, outcome: 'ok', requestId: call.requestId, details });
  return { name, columns: report.columns, rows };
}
