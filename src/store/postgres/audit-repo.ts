import type { AuditEvent, AuditLog } from '../../accounts/links.js';
import { maskSnils } from '../../crypto/snils.js';
import type { Db } from './database.js';

/** A field that can carry what someone typed (a report filter, a looked-up id, a caller's request id). */
const typed = (value: string | undefined) => (value === undefined ? null : maskSnils(value));

function maskedDetails(details: AuditEvent['details']): string {
  if (!details) return '{}';
  const out: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(details)) out[key] = typeof value === 'string' ? maskSnils(value) : value;
  return JSON.stringify(out);
}

/**
 * One row per event; `details` holds ids and codes only (the domain never passes personal
 * data). Free-text fields are still masked for a SNILS: an admin who pastes one into a report's
 * school filter or an oid lookup must not leave it in the trail. `actor` is built by the broker
 * (`esia:<oid>`, an admin's name) and erasure finds people by it, so it is kept as given.
 */
export function auditRow(event: AuditEvent) {
  return {
    actor: event.actor,
    action: event.action,
    target: typed(event.target),
    outcome: event.outcome,
    reason: typed(event.reason),
    region: event.region ?? null,
    client_id: event.clientId ?? null,
    request_id: typed(event.requestId),
    details: maskedDetails(event.details),
  };
}

export function createPostgresAuditLog(db: Db): AuditLog {
  return {
    async record(event) {
      await db.insertInto('audit_events').values(auditRow(event)).execute();
    },
  };
}
