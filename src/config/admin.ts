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
});

export interface AdminConfig {
  readonly importMaxBytes: number;
  readonly importMaxNewPasswords: number;
  readonly sessionTtlMs: number;
}

export function resolveAdminConfig(e: z.infer<typeof adminEnvSchema>): AdminConfig {
  return {
    importMaxBytes: e.ADMIN_IMPORT_MAX_BYTES,
    importMaxNewPasswords: e.ADMIN_IMPORT_MAX_NEW_PASSWORDS,
    sessionTtlMs: e.ADMIN_SESSION_TTL_SECONDS * 1000,
  };
}
