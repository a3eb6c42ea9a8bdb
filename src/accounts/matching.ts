import type { EsiaPerson } from '../esia/person.js';
import { ageBandFor, decide, regionGate } from '../policy/decide.js';
import { localDate } from '../policy/age.js';
import { deny, type AccountsDeps, type Deny, type LoginContext } from './context.js';
import type { DiaryProfile } from './directory.js';
import { assertActivated, assertAttached, assertBirthDateAgrees, assertPolicy, assertSnilsAgrees, firstFailure, PROFILE_CHECKS, type Candidate, type Check } from './eligibility.js';
import type { LinkMethod } from './links.js';
import { normaliseEmail, sameFullName } from './names.js';

/**
 * Which diary profiles may this person enter, found how — without changing anything, so
 * resolve() and choose() run the same rules. Order: an existing link wins; else
 * adults by name AND the SNILS ESIA verified; minors by name AND an ESIA-verified e-mail that
 * is the profile's confirmed e-mail (the Arkhangelsk login page); never by name + birth date alone.
 */
export interface Eligible {
  profile: DiaryProfile;
  /** The existing link's method, or how the match was made. */
  method: LinkMethod;
}

export type Evaluation =
  | Deny
  | { kind: 'manual-link' }
  | { kind: 'eligible'; source: 'link' | 'match'; eligible: Eligible[]; defaultProfileId: string | undefined };

export type Base = Omit<Candidate, 'profile'>;

/** Region gate and, when ESIA gave a birth date, the level rule: before any lookup. */
export function prepare(deps: AccountsDeps, person: EsiaPerson, ctx: LoginContext): Deny | Base {
  const region = ctx.regions.get(ctx.regionCode);
  const gate = regionGate(region);
  if (gate || !region) return deny(gate?.reason ?? 'region_not_enabled', gate?.detail ?? 'region_not_listed');
  const today = localDate(ctx.now, region.timeZone);
  if (person.birthDate !== undefined) {
    const early = decide(region, { level: person.level, birthDate: person.birthDate, isChild: person.isChild }, undefined, today);
    if (early.kind === 'deny') return { ...deny(early.reason, early.detail), ageBand: early.ageBand, age: early.age };
  }
  // Only a SNILS ESIA verified identifies anyone; a malformed one hashes to nothing.
  const snils = person.snils && person.snilsVerified ? deps.hashSnils(person.snils) : undefined;
  return { person, region, today, snils };
}

const EMAIL_CHECKS: readonly Check[] = [assertSnilsAgrees, assertBirthDateAgrees, assertAttached, assertActivated, assertPolicy];

export async function evaluate(deps: AccountsDeps, person: EsiaPerson, ctx: LoginContext): Promise<Evaluation> {
  const base = prepare(deps, person, ctx);
  if ('kind' in base) return base;
  const linked = await fromExistingLinks(deps, base);
  if (linked) return linked;
  const band = person.birthDate === undefined ? undefined : ageBandFor(base.region, person.birthDate, base.today).ageBand;
  if (band !== 'minor' && base.snils) return bySnils(deps, base);
  if (band === 'adult') return { kind: 'manual-link' };
  return byConfirmedEmail(deps, base);
}

async function fromExistingLinks(deps: AccountsDeps, base: Base): Promise<Evaluation | undefined> {
  // The links and their profiles in one read; a link whose profile is gone counts for nothing.
  const linked = await deps.links.linkedProfilesOf(base.person.oid);
  // The default first, then in the order they were made: the first refusal is the one shown.
  const ordered = [...linked].sort((a, b) => Number(b.link.isDefault) - Number(a.link.isDefault));
  const here: Eligible[] = [];
  for (const { link, profile } of ordered) {
    if (profile && profile.region === base.region.code) here.push({ profile, method: link.method });
  }
  if (here.length === 0) return undefined;
  const result = await judge(deps, base, here, PROFILE_CHECKS, false);
  if (result.kind !== 'eligible') return result;
  const preferred = linked.find(({ link }) => link.isDefault && result.eligible.some((e) => e.profile.id === link.profileId));
  return { ...result, source: 'link', defaultProfileId: preferred?.link.profileId };
}

async function bySnils(deps: AccountsDeps, base: Base): Promise<Evaluation> {
  const hits = (await deps.directory.findBySnilsHash(base.snils!.hash)).filter((p) => p.region === base.region.code);
  if (hits.length === 0) return { kind: 'manual-link' }; // The Irkutsk page FAQ 2: no SNILS in the diary → link by hand
  const named = hits.filter((p) => sameFullName(base.person, p));
  // The ESIA-login help page «ФИО и СНИЛС … не совпадают»: the SNILS is there under another name.
  if (named.length === 0) return deny('name_snils_mismatch', 'name_differs_for_snils');
  return judge(deps, base, named.map((profile) => ({ profile, method: 'snils' as const })), PROFILE_CHECKS, true);
}

async function byConfirmedEmail(deps: AccountsDeps, base: Base): Promise<Evaluation> {
  const emails = [...new Set(base.person.emails.filter((e) => e.verified).map((e) => normaliseEmail(e.value)))];
  const found = new Map<string, DiaryProfile>();
  for (const email of emails) {
    for (const p of await deps.directory.findByConfirmedEmail(email)) if (p.region === base.region.code) found.set(p.id, p);
  }
  // A profile sharing the e-mail under another name (a parent's address on a child's profile) is someone else.
  const named = [...found.values()].filter((p) => sameFullName(base.person, p));
  if (named.length === 0) return { kind: 'manual-link' };
  return judge(deps, base, named.map((profile) => ({ profile, method: 'email' as const })), EMAIL_CHECKS, true);
}

/** Applies the checks to each found profile; the eligible ones, or the first refusal. */
async function judge(deps: AccountsDeps, base: Base, found: Eligible[], checks: readonly Check[], mustBeFree: boolean): Promise<Evaluation> {
  const eligible: Eligible[] = [];
  let refusal: Deny | undefined;
  for (const entry of found) {
    const failure = (mustBeFree ? await linkedElsewhere(deps, base, entry.profile) : undefined) ?? firstFailure({ ...base, profile: entry.profile }, checks);
    if (failure) refusal ??= failure;
    else eligible.push(entry);
  }
  if (eligible.length === 0) return refusal ?? { kind: 'manual-link' };
  return { kind: 'eligible', source: 'match', eligible, defaultProfileId: undefined };
}

/** A profile belongs to one ESIA account: one linked to another oid is never taken over automatically. */
async function linkedElsewhere(deps: AccountsDeps, base: Base, profile: DiaryProfile): Promise<Deny | undefined> {
  const link = await deps.links.linkOfProfile(profile.id);
  return link && link.esiaOid !== base.person.oid ? deny('link_failed', 'profile_linked_elsewhere') : undefined;
}
