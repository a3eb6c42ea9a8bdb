import { z } from 'zod';
import { positiveInt } from './fields.js';

/**
 * The admin tools (docs/admin.md): how big a directory file the API takes, how many new
 * passwords one API import may hash (scrypt is ~0.1 s each per core; the CLI has no cap),
 * and how long an /admin page session lasts.
 */
export const adminEnvSchema = z.object({
  ADMIN_IMPORT_MAX_BYTES: positiveInt.default(32 * 1024 * 1024),
  ADMIN_IMPORT_MAX_NEW_PASSWORDS: positiveInt.default(200),
  ADMIN_SESSION_TTL_SECONDS: positiveInt.max(7 * 24 * 3600, 'must be at most a week').default(8 * 3600),
  // Storage no longer than the purpose needs (152-ФЗ, docs/personal-data.md): login attempts
  // answer "who logged in lately", the rest of the trail is accountability and lives longer.
  RETENTION_LOGIN_EVENTS_DAYS: positiveInt.max(3650, 'must be at most 3650').default(365),
  RETENTION_AUDIT_DAYS: positiveInt.max(3650, 'must be at most 3650').default(1095),
});

export interface AdminConfig {
  readonly importMaxBytes: number;
  readonly importMaxNewPasswords: number;
  readonly sessionTtlMs: number;
  readonly retention: { readonly loginEventsDays: number; readonly auditDays: number };
}

export function resolveAdminConfig(e: z.infer<typeof adminEnvSchema>): AdminConfig {
  return {
    importMaxBytes: e.ADMIN_IMPORT_MAX_BYTES,
    importMaxNewPasswords: e.ADMIN_IMPORT_MAX_NEW_PASSWORDS,
    sessionTtlMs: e.ADMIN_SESSION_TTL_SECONDS * 1000,
    retention: { loginEventsDays: e.RETENTION_LOGIN_EVENTS_DAYS, auditDays: e.RETENTION_AUDIT_DAYS },
  };
}
