import type { RegionPolicy } from './region-schema.js';
import type { AgeBand, Role } from './roles.js';

/**
 * How a group of people (role × age band) may use ESIA in a region on a day:
 * - off: the region has no ESIA login (region_not_enabled);
 * - closed: the region closed ESIA to this group outright (role_not_rolled_out);
 * - esia_only: ESIA is the only way in, the diary hides its password form;
 * - esia_optional: ESIA or the diary's password form (the Irkutsk page: the groups not yet in the
 *   «График перехода» keep the password form until their date, and may use ESIA already).
 */
export type Access = 'off' | 'closed' | 'esia_only' | 'esia_optional';

interface Group {
  roles: readonly Role[];
  ageBand?: AgeBand | undefined;
}

function covers(group: Group, role: Role, band: AgeBand): boolean {
  return group.roles.includes(role) && (group.ageBand === undefined || group.ageBand === band);
}

/** `today` is the region's calendar day (yyyy-mm-dd); a rollout applies from its date on. */
export function accessFor(region: Readonly<RegionPolicy>, role: Role, band: AgeBand, today: string): Access {
  if (region.mode === 'off') return 'off';
  if (region.closedTo.some((group) => covers(group, role, band))) return 'closed';
  if (region.mode === 'esia_only') return 'esia_only';
  if (region.rollout.some((step) => step.from <= today && covers(step, role, band))) return 'esia_only';
  return 'esia_optional';
}

/** The first rollout date still ahead for this group, if any (for the public policy). */
export function nextRolloutDate(region: Readonly<RegionPolicy>, role: Role, band: AgeBand, today: string): string | undefined {
  const ahead = region.rollout.filter((step) => step.from > today && covers(step, role, band)).map((step) => step.from);
  return ahead.sort()[0];
}
