import { z } from 'zod';
import { ROLES } from '../accounts/directory.js';
import { InvalidRequest } from '../errors/oauth-errors.js';
import { calendarDay, readable } from '../validation/readable-text.js';

/**
 * The administrators' reports (the diary service's own reports: «Активность в Дневнике: Персональная», «Наполненность
 * данными»), and the audit trail. Read-only ports; the Postgres adapter implements them.
 */

const SCHOOL_YEAR = /^(\d{4})\/(\d{4})$/;

/**
 * The filters of the diary's own reports (its help page «Активность в Дневнике: Персональная»:
 * region, municipality, school, class, role, school year and month) plus a free period. A school
 * year runs from 1 August to 31 July, as the diary's «с 01.08.2017 по 31.07.2018»; a month is one
 * of that year's (it needs the year).
 * Both become the period `from`–`to` the queries read. Messages in English, for integrators; the
 * /admin page says each refused field in Russian (FieldProblem).
 */
export const reportFilterSchema = z
  .object({
    region: z.string().regex(/^\d{2}$/, 'must be a two-digit region code').optional(),
    municipality: readable(z.string().min(1).max(200)).optional(),
    school: readable(z.string().min(1).max(100)).optional(),
    class: z.string().regex(/^[\p{L}\p{N}._-]{1,32}$/u, 'must be letters and digits, like 5-в').optional(),
    role: z.enum(ROLES).optional(),
    school_year: z
      .string()
      .refine((v) => {
        const m = SCHOOL_YEAR.exec(v);
        return !!m && Number(m[2]) === Number(m[1]) + 1 && Number(m[1]) >= 1900 && Number(m[1]) < 2999;
      }, 'must be a school year like 2025/2026')
      .optional(),
    month: z.string().regex(/^(0?[1-9]|1[0-2])$/, 'must be a month number, 1 to 12').optional(),
    from: calendarDay.optional(),
    to: calendarDay.optional(),
  })
  .refine((f) => !f.month || f.school_year, { message: 'month needs school_year (a month of that school year)', path: ['month'], params: { rule: 'month_needs_year' } })
  .refine((f) => !f.school_year || (!f.from && !f.to), { message: 'either school_year (and month) or from/to, not both', path: ['school_year'], params: { rule: 'year_or_period' } })
  .refine((f) => !f.from || !f.to || f.from <= f.to, { message: 'from must not be after to', path: ['from'], params: { rule: 'period_order' } })
  .transform(({ school_year: schoolYear, month, ...rest }) => (schoolYear ? { ...rest, ...schoolYearPeriod(schoolYear, month), school_year: schoolYear, ...(month ? { month: Number(month) } : {}) } : rest));

/** 2025/2026 → 2025-08-01…2026-07-31; with a month, that month of the school year (9 → 2025-09, 3 → 2026-03). */
export function schoolYearPeriod(schoolYear: string, month?: string | undefined): { from: string; to: string } {
  const start = Number(schoolYear.slice(0, 4));
  if (!month) return { from: `${start}-08-01`, to: `${start + 1}-07-31` };
  const m = Number(month);
  const year = m >= 8 ? start : start + 1;
  const last = new Date(Date.UTC(year, m, 0)).getUTCDate();
  const mm = String(m).padStart(2, '0');
  return { from: `${year}-${mm}-01`, to: `${year}-${mm}-${last}` };
}

export type ReportFilter = z.infer<typeof reportFilterSchema>;

/** Which field a refused report call got wrong and how: the API says it in English, the page in Russian. */
export interface FieldProblem {
  field: string;
  /** The zod issue code, or a rule of our own (`period_order`, `month_needs_year`, `year_or_period`, `cursor_gone`). */
  rule: string;
}

export class ReportRefused extends InvalidRequest {
  constructor(
    description: string,
    readonly problems: readonly FieldProblem[],
  ) {
    super(description);
  }
}

/**
 * Keyset paging of the per-person reports' JSON (a region holds ~100k people): `limit` rows
 * after the profile `after` in the report's order (name, then id). The cursor is a profile id,
 * not the names it sorts by: URLs reach access logs, names must not.
 */
export const REPORT_PAGE_DEFAULT = 100;
export const REPORT_PAGE_MAX = 1000;
export const reportPageSchema = z.object({
  limit: z.coerce
    .number({ error: `must be a whole number from 1 to ${REPORT_PAGE_MAX}` })
    .int(`must be a whole number from 1 to ${REPORT_PAGE_MAX}`)
    .min(1, `must be a whole number from 1 to ${REPORT_PAGE_MAX}`)
    .max(REPORT_PAGE_MAX, `must be a whole number from 1 to ${REPORT_PAGE_MAX}`)
    .default(REPORT_PAGE_DEFAULT),
  after: z.string().regex(/^[\p{L}\p{N}._:@-]{1,128}$/u, 'must be the next value of a previous page').optional(),
});
export type ReportPage = z.infer<typeof reportPageSchema>;

/** `schools`: short names from the school directory («организация <id>» for one it lacks), `; `-separated. */
export interface LoginActivityRow {
  profile_id: string;
  full_name: string;
  roles: string;
  classes: string;
  schools: string;
  school_ids: string;
  region: string;
  esia_login: 'yes' | 'no';
  first_esia_login: string | null;
  last_esia_login: string | null;
  esia_login_count: number;
}

export interface CompletenessRow {
  profile_id: string;
  full_name: string;
  roles: string;
  classes: string;
  schools: string;
  school_ids: string;
  region: string;
  has_snils: 'yes' | 'no';
  has_birth_date: 'yes' | 'no';
  activated: 'yes' | 'no';
}

export interface OutcomeRow {
  day: string;
  region: string | null;
  outcome: string;
  count: number;
}

/** Per school (a profile counts once for each school it is attached to): the /admin page's charts. */
export interface SchoolSummaryRow {
  school: string;
  /** The directory's short name, or «организация <id>» for a school it lacks. */
  school_name: string;
  people: number;
  /** People with at least one successful ESIA login in the period. */
  esia_logged_in: number;
  without_snils: number;
}

export const auditFilterSchema = z.object({
  action: readable(z.string().min(1).max(64)).optional(),
  actor: readable(z.string().min(1).max(200)).optional(),
  target: readable(z.string().min(1).max(200)).optional(),
  outcome: readable(z.string().min(1).max(64)).optional(),
  from: calendarDay.optional(),
  to: calendarDay.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  /** Keyset paging: return events with an id below this one (newest first). */
  before: z.string().regex(/^\d{1,18}$/, 'must be an event id').optional(),
});
export type AuditFilter = z.infer<typeof auditFilterSchema>;

export interface AuditEventView {
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  outcome: string;
  reason: string | null;
  region: string | null;
  client_id: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
}

/**
 * With a page, the per-person reports return at most `limit + 1` rows (the extra one only says
 * that a next page exists), or throw CursorGone when the `after` profile no longer exists.
 * Without one they return everything (CSV, CLI).
 */
export interface AdminQueries {
  loginActivity(filter: ReportFilter, page?: ReportPage): Promise<LoginActivityRow[]>;
  completeness(filter: ReportFilter, page?: ReportPage): Promise<CompletenessRow[]>;
  loginOutcomes(filter: ReportFilter): Promise<OutcomeRow[]>;
  /** Counts only, no person: not audited (the report it illustrates is). */
  schoolSummary(filter: ReportFilter): Promise<SchoolSummaryRow[]>;
  audit(filter: AuditFilter): Promise<{ events: AuditEventView[]; next: string | null }>;
}

/** The audit action of a finished ESIA login (written by the login flow, read by reports). */
export const LOGIN_AUDIT_ACTION = 'login';
