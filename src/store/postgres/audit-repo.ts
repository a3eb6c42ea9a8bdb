import type { AuditEvent, AuditLog } from '../../accounts/links.js';
import type { Db } from './database.js';

/** One row per event; `details` holds ids and codes only (the domain never passes personal data). */
export function auditRow(event: AuditEvent) {
  return {
    actor: event.actor,
    action: event.action,
    target: event.target ?? null,
    outcome: event.outcome,
    reason: event.reason ?? null,
    region: event.region ?? null,
    client_id: event.clientId ?? null,
    request_id: event.requestId ?? null,
    details: JSON.stringify(event.details ?? {}),
  };
}

export function createPostgresAuditLog(db: Db): AuditLog {
  return {
    async record(event) {
      await db.insertInto('audit_events').values(auditRow(event)).execute();
    },
  };
}
