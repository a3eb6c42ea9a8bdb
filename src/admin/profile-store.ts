import type { AuditEvent } from '../accounts/links.js';

/**
 * The directory as the admin tools write it: a port, so the import and the profile routes
 * never see SQL. A StoredProfile is one `profiles` row in domain terms (hashes only).
 */
export interface StoredProfile {
  id: string;
  login: string;
  lastName: string;
  firstName: string;
  middleName: string | null;
  birthDate: string | null;
  snilsHash: string | null;
  snilsLast4: string | null;
  email: string | null;
  emailConfirmed: boolean;
  roles: string[];
  schoolIds: string[];
  classes: string[];
  activated: boolean;
  region: string;
  passwordHash: string | null;
  passwordDigest: string | null;
}

export interface ImportTransaction {
  existing(ids: readonly string[]): Promise<Map<string, StoredProfile>>;
  /** Profiles whose login equals one of `foldedLogins` ignoring case. */
  loginOwners(foldedLogins: readonly string[]): Promise<Array<{ id: string; login: string }>>;
  /** Inserts or replaces these rows whole (by id). */
  upsert(profiles: readonly StoredProfile[]): Promise<void>;
  audit(events: readonly AuditEvent[]): Promise<void>;
  /** Revokes the token grants (refresh token families) still open for these profiles, with `reason`. */
  revokeGrants(profileIds: readonly string[], reason: string): Promise<void>;
}

/** A login another profile took between our check and our write: the whole import is refused. */
export class LoginConflictError extends Error {
  constructor() {
    super('two profiles would share a login');
    this.name = 'LoginConflictError';
  }
}

export interface ProfileAdminStore {
  /** The stored password digests of these profiles (absent id: no such profile). */
  passwordDigests(ids: readonly string[]): Promise<Map<string, string | null>>;
  /**
   * Runs `work` in one transaction that holds the directory-import lock (imports run one at
   * a time); anything thrown rolls it all back. A unique-login violation throws LoginConflictError.
   */
  importTransaction<T>(work: (tx: ImportTransaction) => Promise<T>): Promise<T>;
  find(id: string): Promise<StoredProfile | null>;
  /**
   * Deletes the profile with its links and token families, and records the events `audit`
   * makes of the ESIA accounts it was linked to, in one transaction; null when absent.
   */
  remove(id: string, audit: (linkedEsiaOids: string[]) => AuditEvent[]): Promise<{ esiaOids: string[] } | null>;
}
