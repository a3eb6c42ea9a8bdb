import type { EsiaPerson } from '../esia/person.js';
import type { AccountsDeps, LoginContext, ManualLinkResult, RefusalContext, Resolution } from './context.js';
import type { DiaryProfile } from './directory.js';
import type { LinkedProfile } from './links.js';
import { manualLink, type ManualLinkInput } from './manual-link.js';
import type { ReasonCode } from '../policy/reasons.js';
import { chooseProfile, recordLogin, recordRefusal, resolve, unlink, type UnlinkActor } from './resolve.js';

/** The accounts domain as the HTTP layer uses it: matching, linking, choosing, unlinking. */
export interface Accounts {
  /** Which profile the person enters: linked | choose | manual-link | deny. */
  resolve(person: EsiaPerson, ctx: LoginContext): Promise<Resolution>;
  /** The chooser was posted: re-checks the pick, links, remembers it as the default. */
  chooseProfile(person: EsiaPerson, profileId: string, ctx: LoginContext): Promise<Resolution>;
  /** The manual-link form was posted: linked | invalid-credentials | locked | deny. */
  manualLink(person: EsiaPerson, input: ManualLinkInput, ctx: LoginContext): Promise<ManualLinkResult>;
  /** Removes a link (audited); a person only their own. */
  unlink(actor: UnlinkActor, esiaOid: string, profileId: string, meta?: { requestId?: string }): Promise<boolean>;
  /** The person's links with their profiles (for a "linked accounts" page). */
  linksOf(esiaOid: string): Promise<LinkedProfile[]>;
  /** After the code is issued: last use on the link and a login audit event. */
  recordLogin(person: EsiaPerson, profile: DiaryProfile, ctx: LoginContext): Promise<void>;
  /** Any refusal shown to the person (the reports count them by reason); esiaOid when known. */
  recordRefusal(esiaOid: string | undefined, refusal: { reason: ReasonCode; detail?: string }, ctx: RefusalContext): Promise<void>;
}

export function createAccounts(deps: AccountsDeps): Accounts {
  return {
    resolve: (person, ctx) => resolve(deps, person, ctx),
    chooseProfile: (person, profileId, ctx) => chooseProfile(deps, person, profileId, ctx),
    manualLink: (person, input, ctx) => manualLink(deps, person, input, ctx),
    unlink: (actor, esiaOid, profileId, meta) => unlink(deps, actor, esiaOid, profileId, meta),
    linksOf: (esiaOid) => deps.links.linkedProfilesOf(esiaOid),
    recordLogin: (person, profile, ctx) => recordLogin(deps, person, profile, ctx),
    recordRefusal: (esiaOid, refusal, ctx) => recordRefusal(deps, esiaOid, refusal, ctx),
  };
}
