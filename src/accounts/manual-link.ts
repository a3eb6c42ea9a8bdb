import type { EsiaPerson } from '../esia/person.js';
import { ageBandFor } from '../policy/decide.js';
import { AUDIT, deny, esiaActor, type AccountsDeps, type Deny, type LoginContext, type ManualLinkResult } from './context.js';
import type { DiaryProfile } from './directory.js';
import { assertActivated, assertAttached, assertBirthDateAgrees, assertPolicy, assertSnilsAgrees, firstFailure, type Candidate, type Check } from './eligibility.js';
import type { AuditEvent } from './links.js';
import { prepare } from './matching.js';
import { sameFullName } from './names.js';
import type { LinkAttempt, Reservation } from './rate-limit.js';

export interface ManualLinkInput {
  login: string;
  password: string;
  /** The client's address (the route's req.ip), counted hashed; never logged or audited. */
  ip: string;
}

/**
 * The ESIA-login help page and the Ivanovo instruction, «Связывание учётных записей»: afterwards the name must agree. The ESIA-login help page names the
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
 * After the password. The Irkutsk page FAQ 2 lets an adult whose diary profile has no SNILS link by
 * hand, but a profile holding a different SNILS is refused even with the right password
 * (only the school administrator can correct it); then name and birth date must agree.
 */
const MANUAL_CHECKS: readonly Check[] = [assertSameRegion, assertSnilsAgrees, assertNameAgrees, assertBirthDateAgrees, assertAttached, assertActivated, assertPolicy];

type Audit = (outcome: string, extra?: Partial<AuditEvent>) => Promise<void>;

/**
 * The manual-link form was posted: diary login + password for the person ESIA vouched for.
 * Every attempt is audited (ids and codes only) and counted per login, ESIA account and IP
 * before its password is looked at (rate-limit.ts); a refused attempt never reaches scrypt.
 *
 * Refusals decided before the password (the person's own rules, an ESIA account already
 * linked) keep their own pages. Everything after it answers like a wrong password, with the
 * same count, until the link is stored: a profile linked elsewhere, not activated, with another
 * name... would otherwise tell a guesser that the password was right. The audit keeps the reason.
 */
export async function manualLink(deps: AccountsDeps, person: EsiaPerson, input: ManualLinkInput, ctx: LoginContext): Promise<ManualLinkResult> {
  const attempt: LinkAttempt = { esiaOid: person.oid, login: input.login, ip: input.ip };
  const audit: Audit = (outcome, extra = {}) =>
    deps.audit.record({ actor: esiaActor(person.oid), action: AUDIT.manualAttempt, region: ctx.regionCode, clientId: ctx.clientId, requestId: ctx.requestId, outcome, ...extra });

  const base = prepare(deps, person, ctx);
  if ('kind' in base) {
    await audit('refused', { reason: base.reason, details: { detail: base.detail } });
    return base;
  }

  // A linked ESIA account is never re-linked without an audited unlink first.
  if ((await deps.links.linksOf(person.oid)).length > 0) {
    await audit('refused', { reason: 'link_failed', details: { detail: 'esia_already_linked' } });
    return deny('link_failed', 'esia_already_linked');
  }

  const reservation = await deps.limiter.reserve(attempt);
  if (!reservation.granted) {
    await audit('locked', { details: { lockedBy: reservation.by } });
    return locked(reservation.retryAfterMs);
  }
  const profile = await checkPassword(deps, input, reservation);
  if (!profile) return refused(reservation, audit, 'invalid_credentials', {});

  const refusal = (await checkProfile(deps, { ...base, profile })) ?? (await store(deps, person, profile, ctx));
  if (refusal) return refused(reservation, audit, 'refused', { target: profile.id, reason: refusal.reason, details: { detail: refusal.detail } });
  await reservation.succeed();
  return { kind: 'linked', profile, method: 'manual' };
}

/** One scrypt under the reservation; an error (not an answer) gives the attempt back. */
async function checkPassword(deps: AccountsDeps, input: ManualLinkInput, reservation: Reservation): Promise<DiaryProfile | null> {
  try {
    return await deps.directory.authenticate(input.login, input.password);
  } catch (error) {
    await reservation.cancel();
    throw error;
  } finally {
    reservation.checked();
  }
}

/** A wrong password and a refused link look the same to the person: the attempt counts, the page says what is left. */
async function refused(reservation: Reservation, audit: Audit, outcome: string, extra: Partial<AuditEvent>): Promise<ManualLinkResult> {
  const after = await reservation.fail();
  if (after.locked) {
    await audit(outcome === 'invalid_credentials' ? 'locked' : outcome, { ...extra, details: { ...extra.details, lockedBy: after.by, failed: true } });
    return locked(after.retryAfterMs);
  }
  await audit(outcome, { ...extra, details: { ...extra.details, attemptsLeft: after.attemptsLeft } });
  return { kind: 'invalid-credentials', attemptsLeft: after.attemptsLeft };
}

const locked = (retryAfterMs: number): ManualLinkResult => ({ kind: 'locked', retryAfterSeconds: Math.ceil(retryAfterMs / 1000) });

async function checkProfile(deps: AccountsDeps, candidate: Candidate): Promise<Deny | undefined> {
  const link = await deps.links.linkOfProfile(candidate.profile.id);
  if (link && link.esiaOid !== candidate.person.oid) return deny('link_failed', 'profile_linked_elsewhere');
  return firstFailure(candidate, MANUAL_CHECKS);
}

/** Stores the link (audited in its transaction); a conflict with a concurrent link is a refusal. */
async function store(deps: AccountsDeps, person: EsiaPerson, profile: DiaryProfile, ctx: LoginContext): Promise<Deny | undefined> {
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
  if (stored.ok) return undefined;
  return deny('link_failed', stored.conflict === 'esia_already_linked' ? 'esia_already_linked' : 'profile_linked_elsewhere');
}
