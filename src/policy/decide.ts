import type { EsiaLevel } from '../esia/person.js';
import { accessFor } from './access.js';
import { ageBandOf, ageOn } from './age.js';
import type { ReasonCode } from './reasons.js';
import type { RegionPolicy } from './region-schema.js';
import type { AgeBand, Role } from './roles.js';

/** What the region rules need to know about a person (from ESIA, completed by the profile). */
export interface PersonFacts {
  level: EsiaLevel;
  /** ESIA's birth date or, when ESIA has none, the matched diary profile's (yyyy-mm-dd). */
  birthDate: string | undefined;
  /** ESIA's child-account marker; undefined when ESIA said nothing. */
  isChild: boolean | undefined;
}

/** Why a decision denied, finer than the reason code: for audit and tests, never shown raw. */
export type DenyDetail =
  | 'region_not_listed'
  | 'region_off'
  | 'role_closed'
  | 'no_roles'
  | 'level_below_adult_requirement'
  | 'level_below_minor_requirement'
  | 'not_a_child_account';

export type Decision =
  | { kind: 'allow'; ageBand: AgeBand; age: number | undefined; access: 'esia_only' | 'esia_optional' }
  | { kind: 'deny'; reason: ReasonCode; detail: DenyDetail; ageBand?: AgeBand | undefined; age?: number | undefined };

type Deny = Extract<Decision, { kind: 'deny' }>;

const deny = (reason: ReasonCode, detail: DenyDetail): Deny => ({ kind: 'deny', reason, detail });

/** Regions not in the table, and regions switched off, are not ESIA-enabled (the ESIA-login help page). */
export function regionGate(region: Readonly<RegionPolicy> | undefined): Deny | undefined {
  if (!region) return deny('region_not_enabled', 'region_not_listed');
  if (region.mode === 'off') return deny('region_not_enabled', 'region_off');
  return undefined;
}

/**
 * The age band the rules apply. Without any birth date the stricter adult rules apply: the
 * lenient minor rules need positive knowledge that the person is a minor.
 */
export function ageBandFor(region: Readonly<RegionPolicy>, birthDate: string | undefined, today: string): { ageBand: AgeBand; age: number | undefined } {
  if (birthDate === undefined) return { ageBand: 'adult', age: undefined };
  const age = ageOn(birthDate, today);
  return { ageBand: ageBandOf(age, region.adultAge), age };
}

/**
 * May this person enter the diary through ESIA? `roles` are the matched profile's; pass
 * undefined before matching (the role rules are then left for the second call).
 * `today` is the login day in the region (see localDate).
 */
export function decide(region: Readonly<RegionPolicy> | undefined, facts: PersonFacts, roles: readonly Role[] | undefined, today: string): Decision {
  const gate = regionGate(region);
  if (gate || !region) return gate ?? deny('region_not_enabled', 'region_not_listed');
  const { ageBand, age } = ageBandFor(region, facts.birthDate, today);

  // The band the rules applied goes with the refusal: the page names that band's rules.
  const denyAs = (reason: ReasonCode, detail: DenyDetail): Deny => ({ ...deny(reason, detail), ageBand, age });

  const accesses = (roles ?? []).map((role) => accessFor(region, role, ageBand, today));
  if (roles !== undefined && roles.length === 0) return denyAs('role_not_rolled_out', 'no_roles');
  // One closed role is enough: the profile would carry that role's rights into the diary.
  if (accesses.includes('closed')) return denyAs('role_not_rolled_out', 'role_closed');

  if (!region.requiredLevels[ageBand].includes(facts.level)) {
    return denyAs('esia_level_too_low', ageBand === 'adult' ? 'level_below_adult_requirement' : 'level_below_minor_requirement');
  }
  if (ageBand === 'minor' && region.minorsNeedChildAccount && facts.isChild !== true) return denyAs('esia_level_too_low', 'not_a_child_account');

  const onlyEsia = roles === undefined ? region.mode === 'esia_only' : accesses.every((a) => a === 'esia_only');
  return { kind: 'allow', ageBand, age, access: onlyEsia ? 'esia_only' : 'esia_optional' };
}
