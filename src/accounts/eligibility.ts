import type { SnilsFingerprint } from '../crypto/snils.js';
import type { EsiaPerson } from '../esia/person.js';
import { decide } from '../policy/decide.js';
import type { RegionPolicy } from '../policy/region-schema.js';
import { deny, type Deny } from './context.js';
import type { DiaryProfile } from './directory.js';

/**
 * May this person enter this profile? The checks every path shares (existing link, automatic
 * match, manual link), as a flat list of named steps; the first failing one decides.
 */
export interface Candidate {
  person: EsiaPerson;
  profile: DiaryProfile;
  region: Readonly<RegionPolicy>;
  today: string;
  /** The person's ESIA-verified SNILS, hashed; undefined when ESIA verified none. */
  snils: SnilsFingerprint | undefined;
}

export type Check = (c: Candidate) => Deny | undefined;

/** The checks that look at the profile alone (also for grants already issued: accounts/grant-standing.ts). */
type StandingCheck = (c: { profile: Pick<DiaryProfile, 'schoolIds' | 'activated'> }) => Deny | undefined;

/** The ESIA-login help page «Профиль … не привязан ни к одной образовательной организации». */
export const assertAttached: StandingCheck = ({ profile }) => (profile.schoolIds.length === 0 ? deny('profile_not_attached', 'profile_not_attached') : undefined);

/** The ESIA-login help page «Наличие активированной учётной записи Дневник.ру»; the instruction for users over 14 «…и активировать свою учетную запись». */
export const assertActivated: StandingCheck = ({ profile }) => (profile.activated ? undefined : deny('profile_not_activated', 'profile_not_activated'));

/**
 * Is the profile itself still open to ESIA logins (attached to a school, activated)? What
 * tokens already issued for it must keep meeting; the person's own facts were checked at login.
 */
export function standingFailure(profile: Pick<DiaryProfile, 'schoolIds' | 'activated'>): Deny | undefined {
  return assertAttached({ profile }) ?? assertActivated({ profile });
}

/**
 * The ESIA-login help page «ФИО и СНИЛС в профилях Дневник.ру и портала госуслуг не совпадают»: a diary
 * SNILS other than the one ESIA verified is refused whatever else matches; only the school's
 * administrator can correct it (the Irkutsk page, FAQ 3).
 */
export const assertSnilsAgrees: Check = ({ profile, snils }) =>
  snils && profile.snilsHash !== undefined && profile.snilsHash !== snils.hash ? deny('name_snils_mismatch', 'snils_differs') : undefined;

/**
 * The ESIA-login help page «некорректная дата рождения»: when ESIA states a birth date, the profile must hold
 * the same one. A Simplified account may have none (the Arkhangelsk login page: registration asks only for
 * name and contact); then the name alone must agree and the age comes from the profile.
 */
export const assertBirthDateAgrees: Check = ({ person, profile }) => {
  if (person.birthDate === undefined || person.birthDate === profile.birthDate) return undefined;
  return deny('name_birthdate_mismatch', profile.birthDate === undefined ? 'birth_date_missing' : 'birth_date_differs');
};

/** Region rules with the profile's roles, age from ESIA's birth date or else the profile's. */
export const assertPolicy: Check = ({ person, profile, region, today }) => {
  const decision = decide(region, { level: person.level, birthDate: person.birthDate ?? profile.birthDate, isChild: person.isChild }, profile.roles, today);
  return decision.kind === 'deny' ? { ...deny(decision.reason, decision.detail), ageBand: decision.ageBand, age: decision.age, roles: profile.roles } : undefined;
};

/** The checks for a profile the person already holds (link, SNILS or e-mail match, or password). */
export const PROFILE_CHECKS: readonly Check[] = [assertSnilsAgrees, assertAttached, assertActivated, assertPolicy];

export function firstFailure(candidate: Candidate, checks: readonly Check[] = PROFILE_CHECKS): Deny | undefined {
  for (const check of checks) {
    const failure = check(candidate);
    if (failure) return failure;
  }
  return undefined;
}
