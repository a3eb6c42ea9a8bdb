import { ageBandFor } from '../../policy/decide.js';
import { localDate } from '../../policy/age.js';
import { effectivePolicy } from '../../policy/effective-policy.js';
import type { RegionTable } from '../../policy/region-schema.js';
import type { AgeBand, Role } from '../../policy/roles.js';
import type { RefusalSituation } from '../pages/refusal-text.js';

/**
 * The facts a refusal page is built from: the effective policy of the login's region on its
 * local day, and the person's age band: the one the rules applied (from the refusal), else the
 * one ESIA's birth date gives, else unknown.
 */
export function refusalSituation(
  regions: RegionTable,
  regionCode: string | undefined,
  now: Date,
  facts: { ageBand?: AgeBand | undefined; age?: number | undefined; roles?: readonly Role[] | undefined; birthDate?: string | undefined } = {},
): RefusalSituation {
  const region = regionCode === undefined ? undefined : regions.get(regionCode);
  if (!region) return { region: undefined, ageBand: 'unknown' };
  const today = localDate(now, region.timeZone);
  const known = facts.ageBand !== undefined && facts.age !== undefined ? { ageBand: facts.ageBand, age: facts.age } : facts.birthDate !== undefined ? ageBandFor(region, facts.birthDate, today) : undefined;
  return { region: effectivePolicy(region, today), ageBand: known?.age !== undefined ? known.ageBand : 'unknown', roles: facts.roles };
}
