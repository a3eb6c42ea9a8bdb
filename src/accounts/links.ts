/**
 * Links between an ESIA account (oid) and diary profiles, and the audit trail: ports, so the
 * Postgres adapter writes a link and its audit event in one transaction.
 */
import type { DiaryProfile } from './directory.js';

export const LINK_METHODS = ['snils', 'email', 'manual', 'admin'] as const;
/** How the link was made: automatic by name + SNILS, by name + confirmed e-mail, by diary login, or by an admin. */
export type LinkMethod = (typeof LINK_METHODS)[number];

export interface AccountLink {
  esiaOid: string;
  profileId: string;
  method: LinkMethod;
  /** The profile chosen last time among several: preselected in the chooser. */
  isDefault: boolean;
  createdAt: Date;
  lastLoginAt: Date | null;
}

/** Never personal data: ids, codes and hashes only (no SNILS, name, e-mail, login, password). */
export interface AuditEvent {
  /** `esia:<oid>`, `admin:<name>` or `system`. */
  actor: string;
  action: string;
  target?: string | undefined;
  outcome: string;
  reason?: string | undefined;
  region?: string | undefined;
  clientId?: string | undefined;
  requestId?: string | undefined;
  details?: Record<string, string | number | boolean> | undefined;
}

export interface AuditLog {
  record(event: AuditEvent): Promise<void>;
}

export type LinkConflict = 'esia_already_linked' | 'profile_already_linked';

export interface NewLinks {
  esiaOid: string;
  profileIds: readonly string[];
  method: LinkMethod;
  /** Must be one of profileIds; the others are linked without the default mark. */
  defaultProfileId?: string | undefined;
  /** Refuse when the oid already has any link (manual linking: re-linking needs an unlink first). */
  onlyIfUnlinked: boolean;
}

/** A link with its profile as the directory holds it now; null when the profile is gone. */
export interface LinkedProfile {
  link: AccountLink;
  profile: DiaryProfile | null;
}

export interface LinkStore {
  linksOf(esiaOid: string): Promise<AccountLink[]>;
  /** The oid's links, in linksOf's order, each with its profile: one read where linksOf and a findById per link took several. */
  linkedProfilesOf(esiaOid: string): Promise<LinkedProfile[]>;
  linkOfProfile(profileId: string): Promise<AccountLink | null>;
  /**
   * Creates the links and records `audit`, all or nothing. Concurrent calls for one oid run
   * one after the other; a profile already linked to another oid is a conflict, never stolen.
   */
  createLinks(links: NewLinks, audit: AuditEvent): Promise<{ ok: true } | { ok: false; conflict: LinkConflict }>;
  /** Marks one linked profile as the default (clearing the others) with its audit event; false when not linked. */
  setDefault(esiaOid: string, profileId: string, audit: AuditEvent): Promise<boolean>;
  /**
   * Removes the link with its audit event, and revokes the token grants (refresh token
   * families) issued to this ESIA account for this profile, all at once; false when there was none.
   */
  unlink(esiaOid: string, profileId: string, audit: AuditEvent): Promise<boolean>;
  /** Records that the link was used to log in now, with the login's audit event: both or neither, in one round trip. */
  touch(esiaOid: string, profileId: string, audit: AuditEvent): Promise<void>;
}
