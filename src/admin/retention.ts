import type { AuditLog } from '../accounts/links.js';
import type { AdminCall } from './admin-call.js';

/** Login attempts (the person's own): kept RETENTION_LOGIN_EVENTS_DAYS; every other audit event RETENTION_AUDIT_DAYS. */
export const LOGIN_EVENT_ACTIONS = ['login', 'link.manual_attempt'] as const;

/**
 * Grants (refresh-token families) stay a day past their expiry or revocation, so a late replay
 * still finds its family and is refused as such, then go with their hashed tokens.
 */
export const GRANT_REMNANT_DAYS = 1;

export interface PurgeCutoffs {
  loginEvents: Date;
  audit: Date;
  grants: Date;
  /** Logout tokens given up on: kept for operators as long as a revoked grant. */
  backchannelLogouts: Date;
}

export interface PurgeCounts {
  login_events: number;
  audit_events: number;
  grants: number;
  backchannel_logouts: number;
}

export interface RetentionStore {
  /** Deletes what is older than the cutoffs; null when another purge holds the lock. */
  purge(cutoffs: PurgeCutoffs): Promise<PurgeCounts | null>;
}

export interface PurgeReport {
  /** false: another replica or a CronJob was purging at that moment; nothing was done here. */
  ran: boolean;
  at: string;
  /** What was deleted: everything strictly before `before` (older than `days`). */
  windows: Record<keyof PurgeCounts, { days: number; before: string }>;
  deleted: PurgeCounts | null;
}

const DAY_MS = 24 * 3600 * 1000;

export function createRetention(deps: { store: RetentionStore; audit: AuditLog; windows: { loginEventsDays: number; auditDays: number } }) {
  return {
    /** One purge pass; `now` is injectable so tests can move time forward. */
    async purge(call: AdminCall, now: Date = new Date()): Promise<PurgeReport> {
      const days = { login_events: deps.windows.loginEventsDays, audit_events: deps.windows.auditDays, grants: GRANT_REMNANT_DAYS, backchannel_logouts: GRANT_REMNANT_DAYS };
      const before = (d: number) => new Date(now.getTime() - d * DAY_MS);
      const deleted = await deps.store.purge({ loginEvents: before(days.login_events), audit: before(days.audit_events), grants: before(days.grants), backchannelLogouts: before(days.backchannel_logouts) });
      const windows = Object.fromEntries(Object.entries(days).map(([k, d]) => [k, { days: d, before: before(d).toISOString() }])) as PurgeReport['windows'];
      const report: PurgeReport = { ran: deleted !== null, at: now.toISOString(), windows, deleted };
      // The hourly pass that found nothing leaves no trace; a purge by an admin always does.
      if (deleted && (call.actor !== 'system' || Object.values(deleted).some((n) => n > 0))) {
        await deps.audit.record({ actor: call.actor, action: 'retention.purge', outcome: 'ok', requestId: call.requestId, details: { ...deleted, login_events_before: windows.login_events.before, audit_before: windows.audit_events.before } });
      }
      return report;
    },
  };
}

export type Retention = ReturnType<typeof createRetention>;
