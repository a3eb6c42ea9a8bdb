import { z } from 'zod';
import { AGE_BANDS, ESIA_LEVELS, ROLES } from './roles.js';

/**
 * The region table (config/regions.json, explained in docs/regions.md): which regions have
 * ESIA login, how, for whom and from when. Unknown keys are errors, so a typo in a rule name
 * fails startup instead of silently dropping the rule.
 */
const isoDate = z.iso.date({ error: 'must be a date yyyy-mm-dd' });

const timeZone = z.string().refine(isTimeZone, { error: 'must be an IANA time zone such as Europe/Moscow' });

const levels = z.array(z.enum(ESIA_LEVELS)).min(1, 'must list at least one ESIA level');

/** Which people a rule covers: these roles, optionally only one age band. */
const group = {
  roles: z.array(z.enum(ROLES)).min(1, 'must list at least one role'),
  ageBand: z.enum(AGE_BANDS).optional(),
};

export const regionPolicySchema = z.strictObject({
  /** Two-digit region code, as in https://NN.dnevnik.ru. */
  code: z.string().regex(/^\d{2}$/, 'must be a two-digit region code'),
  name: z.string().min(1),
  /** The diary's login host for the region (the ESIA-login help page table), e.g. 38.dnevnik.ru. */
  loginHost: z.string().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}$/, 'must be a lowercase host name'),
  /** esia_only: ESIA is the only way in; esia_optional: ESIA next to the password form; off: no ESIA. */
  mode: z.enum(['esia_only', 'esia_optional', 'off']),
  /** Ages are counted on the local calendar day of the region. */
  timeZone: timeZone.default('Europe/Moscow'),
  /** Adult from this age on (14 by default; 18 in Ivanovo, the Ivanovo instruction). */
  adultAge: z.number().int().min(1).max(21).default(14),
  requiredLevels: z
    .strictObject({ adult: levels.default(['standard', 'confirmed']), minor: levels.default(['simplified', 'standard', 'confirmed']) })
    .default({ adult: ['standard', 'confirmed'], minor: ['simplified', 'standard', 'confirmed'] }),
  /**
   * Minors must hold an ESIA child account registered from or attached to a parent's
   * (the Ivanovo instruction). ESIA's child marker is unconfirmed (docs/esia-protocol.md §8): off by default.
   */
  minorsNeedChildAccount: z.boolean().default(false),
  /** From `from` on, ESIA becomes the only way in for these people (the Irkutsk page, «График перехода»). */
  rollout: z.array(z.strictObject({ from: isoDate, ...group })).default([]),
  /** ESIA closed to these people outright: they are refused with role_not_rolled_out. */
  closedTo: z.array(z.strictObject(group)).default([]),
  /** Where the rule comes from (seed file and passage): the table's only comments. */
  source: z.string().optional(),
});

export const regionTableSchema = z.strictObject({
  /** JSON has no comments: one free-text note at the top. */
  $comment: z.string().optional(),
  regions: z.array(regionPolicySchema).min(1, 'must list at least one region'),
});

export type RegionPolicy = z.infer<typeof regionPolicySchema>;
export type RegionPolicyInput = z.input<typeof regionPolicySchema>;
export type RegionTableInput = z.input<typeof regionTableSchema>;

/** The parsed table, indexed by code; immutable once built. */
export interface RegionTable {
  readonly regions: ReadonlyMap<string, Readonly<RegionPolicy>>;
  get(code: string): Readonly<RegionPolicy> | undefined;
}

export type ParseRegionsResult = { ok: true; table: RegionTable } | { ok: false; problems: string[] };

/** Validates a parsed JSON value; every problem is named by its path (regions.3.adultAge: …). */
export function parseRegionTable(value: unknown): ParseRegionsResult {
  const parsed = regionTableSchema.safeParse(value);
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  problems.push(...duplicateCodes(value));
  if (!parsed.success || problems.length > 0) return { ok: false, problems };
  const regions = new Map<string, Readonly<RegionPolicy>>();
  for (const region of parsed.data.regions) regions.set(region.code, deepFreeze(region));
  return { ok: true, table: Object.freeze({ regions, get: (code: string) => regions.get(code) }) };
}

/** Builds one region policy with the table's defaults (tests, tools). */
export function regionPolicy(input: RegionPolicyInput): Readonly<RegionPolicy> {
  return deepFreeze(regionPolicySchema.parse(input));
}

// Checked on the raw input so a duplicate is reported alongside every other problem.
function duplicateCodes(value: unknown): string[] {
  const regions = (value as { regions?: unknown } | null)?.regions;
  if (!Array.isArray(regions)) return [];
  const seen = new Map<unknown, number>();
  const problems: string[] = [];
  regions.forEach((region: unknown, index) => {
    const code = (region as { code?: unknown } | null)?.code;
    if (typeof code !== 'string') return;
    const first = seen.get(code);
    if (first === undefined) seen.set(code, index);
    else problems.push(`regions.${index}.code: duplicate region ${code} (also regions.${first})`);
  });
  return problems;
}

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
