import type { SnilsHasher } from '../crypto/snils.js';
import type { DenyDetail } from '../policy/decide.js';
import type { ReasonCode } from '../policy/reasons.js';
import type { RegionTable } from '../policy/region-schema.js';
import type { AgeBand, Role } from '../policy/roles.js';
import type { DiaryProfile, Directory } from './directory.js';
import type { AuditLog, LinkMethod, LinkStore } from './links.js';
import type { LinkRateLimiter } from './rate-limit.js';

/** Everything the accounts domain needs, wired in deps.ts. */
export interface AccountsDeps {
  directory: Directory;
  links: LinkStore;
  audit: AuditLog;
  hashSnils: SnilsHasher;
  limiter: LinkRateLimiter;
}

/** One login as the route sees it. */
export interface LoginContext {
  /** The region snapshot this request took (deps.regions.current()): one table for the whole request. */
  regions: RegionTable;
  /** Two-digit region code of the interaction. */
  regionCode: string;
  /** The login instant; ages and rollout dates use its calendar day in the region. */
  now: Date;
  clientId?: string | undefined;
  requestId?: string | undefined;
}

/** Where a refusal happened; the region is unknown only for a pending login older than region tracking. */
export type RefusalContext = Omit<LoginContext, 'regions' | 'now' | 'regionCode'> & { regionCode: string | undefined };

/** Reasons of the accounts domain, finer than the reason code: for audit and tests, never shown raw. */
export type AccountsDenyDetail =
  | DenyDetail
  | 'profile_not_attached'
  | 'profile_not_activated'
  | 'snils_differs'
  | 'name_differs_for_snils'
  | 'name_differs'
  | 'birth_date_differs'
  | 'birth_date_missing'
  | 'profile_in_other_region'
  | 'profile_linked_elsewhere'
  | 'link_removed'
  | 'profile_deleted'
  | 'esia_already_linked'
  | 'not_a_choice';

/**
 * A refusal. `ageBand` and `age` (the band the region rules applied, and the age when a birth
 * date was known) and `roles` (the matched profile's) let the page name the rules that applied.
 */
export type Deny = { kind: 'deny'; reason: ReasonCode; detail: AccountsDenyDetail; ageBand?: AgeBand | undefined; age?: number | undefined; roles?: readonly Role[] | undefined };

export const deny = (reason: ReasonCode, detail: AccountsDenyDetail): Deny => ({ kind: 'deny', reason, detail });

export type Resolution =
  | { kind: 'linked'; profile: DiaryProfile; method: LinkMethod }
  | { kind: 'choose'; profiles: DiaryProfile[]; defaultProfileId: string | undefined }
  | { kind: 'manual-link' }
  | Deny;

export type ManualLinkResult =
  | { kind: 'linked'; profile: DiaryProfile; method: 'manual' }
  | { kind: 'invalid-credentials'; attemptsLeft: number }
  | { kind: 'locked'; retryAfterSeconds: number }
  | Deny;

/** Audit actions written by this module (docs/accounts.md). */
export const AUDIT = {
  linkCreated: 'link.create',
  manualAttempt: 'link.manual_attempt',
  defaultChosen: 'link.default',
  unlinked: 'link.delete',
  /** Read by the admin reports (admin/reports.ts LOGIN_AUDIT_ACTION): outcome 'success', or 'refused' with the reason. */
  login: 'login',
} as const;

export const esiaActor = (oid: string): string => `esia:${oid}`;
