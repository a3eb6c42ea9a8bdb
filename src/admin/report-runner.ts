import { z } from 'zod';
import type { AuditLog } from '../accounts/links.js';
import { InvalidRequest } from '../errors/oauth-errors.js';
import type { AdminCall } from './admin-call.js';
import { ReportRefused, reportFilterSchema, reportPageSchema, type AdminQueries, type FieldProblem, type ReportFilter, type ReportPage } from './reports.js';

/**
 * The reports by name with their CSV columns, for the API, the /admin page and the CLI alike.
 * Every run is audited (`report.read`, the filter in details): they list people.
 */
const REPORTS = {
  logins: {
    title: 'Активность входа через госуслуги',
    columns: ['profile_id', 'full_name', 'roles', 'classes', 'schools', 'school_ids', 'region', 'esia_login', 'first_esia_login', 'last_esia_login', 'esia_login_count'],
    paged: true,
    fromLoginEvents: true,
    run: (q: AdminQueries, f: ReportFilter, p?: ReportPage) => q.loginActivity(f, p),
  },
  completeness: {
    title: 'Наполненность данными',
    columns: ['profile_id', 'full_name', 'roles', 'classes', 'schools', 'school_ids', 'region', 'has_snils', 'has_birth_date', 'activated'],
    paged: true,
    fromLoginEvents: false,
    run: (q: AdminQueries, f: ReportFilter, p?: ReportPage) => q.completeness(f, p),
  },
  outcomes: {
    title: 'Итоги входов по дням и причинам',
    columns: ['day', 'region', 'outcome', 'count'],
    // One row per day, region and outcome: a year of a busy region is a few thousand rows.
    paged: false,
    fromLoginEvents: true,
    run: (q: AdminQueries, f: ReportFilter) => q.loginOutcomes(f),
  },
} as const;

export type ReportName = keyof typeof REPORTS;
export const REPORT_NAMES = Object.keys(REPORTS) as ReportName[];
export const reportTitle = (name: ReportName): string => REPORTS[name].title;
/** Whether the report's JSON (and the page's table) comes in keyset pages. */
export const reportIsPaged = (name: ReportName): boolean => REPORTS[name].paged;

export const reportNameSchema = z.enum(REPORT_NAMES as [ReportName, ...ReportName[]], { error: `report must be one of ${REPORT_NAMES.join(', ')}` });

export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

export function parseOrRefuse<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ReportRefused(describeIssues(result.error), result.error.issues.map(problemOf));
  return result.data;
}

function problemOf(issue: z.core.$ZodIssue): FieldProblem {
  const rule = issue.code === 'custom' && typeof issue.params?.['rule'] === 'string' ? issue.params['rule'] : issue.code;
  return { field: issue.path.map(String).join('.'), rule };
}

export interface ReportResult {
  name: ReportName;
  columns: readonly string[];
  rows: Array<Record<string, unknown>>;
  /** The `after` of the next page; null on the last page and when the whole report was asked for. */
  next: string | null;
  /** The filter as validated. */
  filter: ReportFilter;
  covers: ReportCoverage;
}

/**
 * The window a report's rows stand for. Reports counted from login events can see no further
 * back than RETENTION_LOGIN_EVENTS_DAYS keeps them: `from` is the later of the filter's first
 * day and the first day still kept, and `cut_by_retention` says the filter asked for more.
 * The completeness report is the directory as it stands (`as_of`).
 */
export type ReportCoverage =
  | { from: string; to: string; retention_days: number; cut_by_retention: boolean }
  | { as_of: string };

const DAY_MS = 24 * 3600 * 1000;
const dayOf = (at: Date) => at.toISOString().slice(0, 10);

export function reportCoverage(name: ReportName, filter: ReportFilter, loginEventsKeptDays: number, now: Date = new Date()): ReportCoverage {
  if (!REPORTS[name].fromLoginEvents) return { as_of: now.toISOString() };
  // The purge deletes what is older than now − days, to the millisecond: the next whole day is wholly kept.
  const firstKept = dayOf(new Date(now.getTime() - loginEventsKeptDays * DAY_MS + DAY_MS));
  const asked = filter.from;
  return {
    from: asked && asked > firstKept ? asked : firstKept,
    to: filter.to ?? dayOf(now),
    retention_days: loginEventsKeptDays,
    cut_by_retention: !asked || asked < firstKept,
  };
}

/** `{limit?, after?}` as typed; undefined = the whole report (CSV, CLI). */
export type PageInput = Record<string, unknown> | undefined;

function parsePage(name: ReportName, input: PageInput): ReportPage | undefined {
  if (input === undefined) return undefined;
  if (!REPORTS[name].paged) {
    if (input['limit'] !== undefined || input['after'] !== undefined) throw new InvalidRequest(`limit, after: the ${name} report is not paged (one row per day, region and outcome)`);
    return undefined;
  }
  return parseOrRefuse(reportPageSchema, input);
}

export async function runReport(deps: { queries: AdminQueries; audit: AuditLog; loginEventsKeptDays: number }, name: ReportName, filterInput: unknown, call: AdminCall, pageInput?: PageInput): Promise<ReportResult> {
  const filter = parseOrRefuse(reportFilterSchema, filterInput);
  const page = parsePage(name, pageInput);
  const report = REPORTS[name];
  const found = (await report.run(deps.queries, filter, page)) as unknown as Array<Record<string, unknown>>;
  const rows = page ? found.slice(0, page.limit) : found;
  const next = page && found.length > page.limit ? String(rows[rows.length - 1]!['profile_id']) : null;
  const details = Object.fromEntries(Object.entries({ report: name, rows: rows.length, ...filter, ...page }).filter(([, v]) => v !== undefined)) as Record<string, string | number>;
  await deps.audit.record({ actor: call.actor, action: 'report.read', target: name, outcome: 'ok', requestId: call.requestId, details });
  return { name, columns: report.columns, rows, next, filter, covers: reportCoverage(name, filter, deps.loginEventsKeptDays) };
}
