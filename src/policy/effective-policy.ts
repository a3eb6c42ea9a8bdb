import type { EsiaLevel } from '../esia/person.js';
import { accessFor, nextRolloutDate, type Access } from './access.js';
import { localDate } from './age.js';
import type { RegionPolicy, RegionTable } from './region-schema.js';
import { AGE_BANDS, ROLES, type AgeBand, type Role } from './roles.js';

/**
 * Each region's effective policy on a day, per role and age band: what a diary frontend
 * needs to decide whether to hide its password form, published at a public JSON endpoint.
 */
export interface GroupPolicy {
  role: Role;
  ageBand: AgeBand;
  access: Access;
  /** False once ESIA is the only way in for the group (or the region is ESIA-only). */
  passwordForm: boolean;
  requiredLevels: readonly EsiaLevel[];
  childAccountRequired: boolean;
  /** The next date on which ESIA becomes the only way in for the group, when one is scheduled. */
  esiaOnlyFrom: string | undefined;
}

export interface EffectivePolicy {
  code: string;
  name: string;
  loginUrl: string;
  mode: RegionPolicy['mode'];
  adultAge: number;
  timeZone: string;
  /** The region's calendar day the policy is computed for. */
  date: string;
  groups: GroupPolicy[];
}

export function effectivePolicy(region: Readonly<RegionPolicy>, today: string): EffectivePolicy {
  const groups: GroupPolicy[] = [];
  for (const role of ROLES) {
    for (const ageBand of AGE_BANDS) {
      const access = accessFor(region, role, ageBand, today);
      groups.push({
        role,
        ageBand,
        access,
        passwordForm: access !== 'esia_only',
        requiredLevels: region.requiredLevels[ageBand],
        childAccountRequired: ageBand === 'minor' && region.minorsNeedChildAccount,
        esiaOnlyFrom: access === 'esia_optional' ? nextRolloutDate(region, role, ageBand, today) : undefined,
      });
    }
  }
  return {
    code: region.code,
    name: region.name,
    loginUrl: `https://${region.loginHost}`,
    mode: region.mode,
    adultAge: region.adultAge,
    timeZone: region.timeZone,
    date: today,
    groups,
  };
}

/** Every region of the table, each on its own local day at `now`, ordered by code. */
export function effectivePolicies(table: RegionTable, now: Date): EffectivePolicy[] {
  return [...table.regions.values()]
    .sort((a, b) => a.code.localeCompare(b.code))
    .map((region) => effectivePolicy(region, localDate(now, region.timeZone)));
}

/**
 * The ESIA-login help page «Пользователям Дневник.ру из других регионов предлагается пользоваться стандартной
 * формой авторизации»: a region not in the table, published as such (every group keeps the form).
 */
export function notEnabledPolicy(code: string, now: Date): Record<string, unknown> {
  return {
    region: code,
    enabled: false,
    mode: 'off',
    date: localDate(now, 'Europe/Moscow'),
    groups: ROLES.flatMap((role) => AGE_BANDS.map((ageBand) => ({ role, age_band: ageBand, access: 'off', password_form: true }))),
  };
}

/** The published JSON shape (snake_case on the wire). */
export function toPublicJson(policy: EffectivePolicy): Record<string, unknown> {
  return {
    region: policy.code,
    enabled: policy.mode !== 'off',
    name: policy.name,
    login_url: policy.loginUrl,
    mode: policy.mode,
    adult_age: policy.adultAge,
    time_zone: policy.timeZone,
    date: policy.date,
    groups: policy.groups.map((g) => ({
      role: g.role,
      age_band: g.ageBand,
      access: g.access,
      password_form: g.passwordForm,
      required_levels: g.requiredLevels,
      child_account_required: g.childAccountRequired,
      ...(g.esiaOnlyFrom ? { esia_only_from: g.esiaOnlyFrom } : {}),
    })),
  };
}
