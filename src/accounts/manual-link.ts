import type { EsiaPerson } from '../esia/person.js';
import { ageBandFor } from '../policy/decide.js';
import { AUDIT, deny, esiaActor, type AccountsDeps, type Deny, type LoginContext, type ManualLinkResult } from './context.js';
import type { DiaryProfile } from './directory.js';
import { assertActivated, assertAttached, assertBirthDateAgrees, assertPolicy, assertSnilsAgrees, firstFailure, type Candidate, type Check } from './eligibility.js';
import type { AuditEvent } from './links.js';
import { prepare } from './matching.js';
import { sameFullName } from './names.js';
import type { LinkAttempt } from './rate-limit.js';

export interface ManualLinkInput {
  login: string;
  password: string;
  /** The client's address (the route's req.ip), counted hashed; never logged or audited. */
  ip: string;
}

/**
 * seeds 000/001 «Связывание учётных записей»: afterwards the name must agree. Seed 000 names the
 * failure by age: over 14 «ФИО и СНИЛС … не совпадают», under 14 «ФИО … не совпадают» next to
 * «некорректная дата рождения». The age band is the person's, as in every rule: from ESIA's
 * birth date, else the profile's.
 */
const assertNameAgrees: Check = ({ person, profile, region, today }) => {
  if (sameFullName(person, profile)) return undefined;
  const { ageBand } = ageBandFor(region, person.birthDate ?? profile.birthDate, today);
  return deny(ageBand === 'adult' ? 'name_snils_mismatch' : 'name_birthdate_mismatch', 'name_differs');
};

/** The diary login belongs to another region's diary: not the profile this login is for. */
const assertSameRegion: Check = ({ profile, region }) => (profile.region === region.code ? undefined : deny('profile_not_found', 'profile_in_other_region'));

/**
 * After the password. seed 004 FAQ 2 lets an adult whose diary profile has no SNILS link by
 * hand, but a profile holding a different SNILS is refused even with the right password
 * (only the school administrator can correct it); then name and birth date must agree.
 */
const MANUAL_CHECKS: readonly Check[] = [assertSameRegion, assertSnilsAgrees, assertNameAgrees, assertBirthDateAgrees, assertAttached, assertActivated, assertPolicy];

/**
 * The manual-link form was posted: diary login + password for the person ESIA vouched for.
 * Every attempt is audited (ids and codes only) and rate limited per login, ESIA account
 * and IP; a locked attempt is refused before the password is even looked at.
 */
export async function manualLink(deps: AccountsDeps, person: EsiaPerson, input: ManualLinkInput, ctx: LoginContext): Promise<ManualLinkResult> {
  const attempt: LinkAttempt = { esiaOid: person.oid, login: input.login, ip: input.ip };
  const audit = (outcome: string, extra: Partial<AuditEvent> = {}) =>
    deps.audit.record({ actor: esiaActor(person.oid), action: AUDIT.manualAttempt, region: ctx.regionCode, clientId: ctx.clientId, requestId: ctx.requestId, outcome, ...extra });

  const base = prepare(deps, person, ctx);
  if ('kind' in base) {
    await audit('refused', { reason: base.reason, details: { detail: base.detail } });
    return base;
  }

  const limit = await deps.limiter.check(attempt);
  if (limit.locked) {
    await audit('locked', { details: { lockedBy: limit.by } });
    return { kind: 'locked', retryAfterSeconds: Math.ceil(limit.retryAfterMs / 1000) };
  }

  // issue 5: a linked ESIA account is never re-linked without an audited unlink first.
  if ((await deps.links.linksOf(person.oid)).length > 0) {
    await audit('refused', { reason: 'link_failed', details: { detail: 'esia_already_linked' } });
    return deny('link_failed', 'esia_already_linked');
  }

  const profile = await deps.directory.authenticate(input.login, input.password);
  if (!profile) return wrongCredentials(deps, attempt, audit);
  await deps.limiter.recordSuccess(attempt);

  const refusal = await checkProfile(deps, { ...base, profile });
  if (refusal) {
    await audit('refused', { target: profile.id, reason: refusal.reason, details: { detail: refusal.detail } });
    return refusal;
  }
  return store(deps, person, profile, ctx);
}

async function wrongCredentials(deps: AccountsDeps, attempt: LinkAttempt, audit: (outcome: string, extra?: Partial<AuditEvent>) => Promise<void>): Promise<ManualLinkResult> {
  const after = await deps.limiter.recordFailure(attempt);
  if (after.locked) {
    await audit('locked', { details: { lockedBy: after.by, failed: true } });
    return { kind: 'locked', retryAfterSeconds: Math.ceil(after.retryAfterMs / 1000) };
  }
  await audit('invalid_credentials', { details: { attemptsLeft: after.attemptsLeft } });
  return { kind: 'invalid-credentials', attemptsLeft: after.attemptsLeft };
}

async function checkProfile(deps: AccountsDeps, candidate: Candidate): Promise<Deny | undefined> {
  const link = await deps.links.linkOfProfile(candidate.profile.id);
  if (link && link.esiaOid !== candidate.person.oid) return deny('link_failed', 'profile_linked_elsewhere');
  return firstFailure(candidate, MANUAL_CHECKS);
}

async function store(deps: AccountsDeps, person: EsiaPerson, profile: DiaryProfile, ctx: LoginContext): Promise<ManualLinkResult> {
  const event: AuditEvent = {
    actor: esiaActor(person.oid),
    action: AUDIT.manualAttempt,
    target: profile.id,
    outcome: 'linked',
    region: ctx.regionCode,
    clientId: ctx.clientId,
    requestId: ctx.requestId,
    details: { method: 'manual' },
  };
  const stored = await deps.links.createLinks({ esiaOid: person.oid, profileIds: [profile.id], method: 'manual', onlyIfUnlinked: true }, event);
  if (stored.ok) return { kind: 'linked', profile, method: 'manual' };
  const detail = stored.conflict === 'esia_already_linked' ? 'esia_already_linked' : 'profile_linked_elsewhere';
  await deps.audit.record({ ...event, outcome: 'refused', reason: 'link_failed', details: { detail } });
  return deny('link_failed', detail);
}
