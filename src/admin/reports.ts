import { z } from 'zod';
import { ROLES } from '../accounts/directory.js';

/**
 * The administrators' reports (seeds: «Активность в Дневнике: Персональная», «Наполненность
 * данными»), and the audit trail. Read-only ports; the Postgres adapter implements them.
 */
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be yyyy-mm-dd');

export const reportFilterSchema = z
  .object({
    region: z.string().regex(/^\d{2}$/, 'must be a two-digit region code').optional(),
    school: z.string().min(1).max(100).optional(),
    role: z.enum(ROLES).optional(),
    from: isoDate.optional(),
    to: isoDate.optional(),
  })
  .refine((f) => !f.from || !f.to || f.from <= f.to, { message: 'from must not be after to', path: ['from'] });

export type ReportFilter = z.infer<typeof reportFilterSchema>;

export interface LoginActivityRow {
  profile_id: string;
  full_name: string;
  roles: string;
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

export const auditFilterSchema = z.object({
  action: z.string().min(1).max(64).optional(),
  actor: z.string().min(1).max(200).optional(),
  target: z.string().min(1).max(200).optional(),
  outcome: z.string().min(1).max(64).optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  /** Keyset paging: return events with an id below this one (newest first). */
  before: z.string().regex(/^\d+$/, 'must be an event id').optional(),
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

export interface AdminQueries {
  loginActivity(filter: ReportFilter): Promise<LoginActivityRow[]>;
  completeness(filter: ReportFilter): Promise<CompletenessRow[]>;
  loginOutcomes(filter: ReportFilter): Promise<OutcomeRow[]>;
  audit(filter: AuditFilter): Promise<{ events: AuditEventView[]; next: string | null }>;
}

/** The audit action of a finished ESIA login (written by the login flow, read by reports). */
export const LOGIN_AUDIT_ACTION = 'login';
