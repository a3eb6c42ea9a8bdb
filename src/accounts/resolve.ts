import type { EsiaPerson } from '../esia/person.js';
import type { ReasonCode } from '../policy/reasons.js';
import { AUDIT, deny, esiaActor, type AccountsDeps, type LoginContext, type RefusalContext, type Resolution } from './context.js';
import type { DiaryProfile } from './directory.js';
import type { AuditEvent, LinkMethod } from './links.js';
import { evaluate, type Eligible } from './matching.js';

function auditBase(person: EsiaPerson, ctx: LoginContext): Pick<AuditEvent, 'actor' | 'region' | 'clientId' | 'requestId'> {
  return { actor: esiaActor(person.oid), region: ctx.regionCode, clientId: ctx.clientId, requestId: ctx.requestId };
}

/**
 * Which diary profile does the person ESIA vouched for enter? One eligible profile: linked
 * (a new automatic match is stored with its audit event first). Several: the person chooses.
 * None found: the manual-link page. Otherwise a refusal with its reason. Refusals are values;
 * the caller records them with the page it shows.
 */
export async function resolve(deps: AccountsDeps, person: EsiaPerson, ctx: LoginContext): Promise<Resolution> {
  const evaluation = await evaluate(deps, person, ctx);
  if (evaluation.kind !== 'eligible') return evaluation;
  const { eligible } = evaluation;
  if (eligible.length > 1) return { kind: 'choose', profiles: eligible.map((e) => e.profile), defaultProfileId: evaluation.defaultProfileId };
  const only = eligible[0]!;
  if (evaluation.source === 'link') return { kind: 'linked', profile: only.profile, method: only.method };
  return storeMatch(deps, person, ctx, [only], only);
}

/**
 * The person picked `profileId` on the chooser. The rules run again (the form is never
 * trusted): the pick must be one of the eligible profiles. New matches are all linked, the
 * pick becomes the default, remembered for the next chooser.
 */
export async function chooseProfile(deps: AccountsDeps, person: EsiaPerson, profileId: string, ctx: LoginContext): Promise<Resolution> {
  const evaluation = await evaluate(deps, person, ctx);
  if (evaluation.kind !== 'eligible') return evaluation;
  const chosen = evaluation.eligible.find((e) => e.profile.id === profileId);
  if (!chosen) return deny('link_failed', 'not_a_choice');
  if (evaluation.source === 'match') return storeMatch(deps, person, ctx, evaluation.eligible, chosen);
  const audit: AuditEvent = { ...auditBase(person, ctx), action: AUDIT.defaultChosen, target: profileId, outcome: 'ok' };
  const marked = await deps.links.setDefault(person.oid, profileId, audit);
  // Unlinked between the two requests (an admin, another tab): start over rather than guess.
  return marked ? { kind: 'linked', profile: chosen.profile, method: chosen.method } : deny('link_failed', 'not_a_choice');
}

async function storeMatch(deps: AccountsDeps, person: EsiaPerson, ctx: LoginContext, all: Eligible[], chosen: Eligible): Promise<Resolution> {
  const method: LinkMethod = chosen.method;
  const audit: AuditEvent = {
    ...auditBase(person, ctx),
    action: AUDIT.linkCreated,
    target: chosen.profile.id,
    outcome: 'linked',
    details: { method, profiles: all.length, ...(all.length > 1 ? { chosen: true } : {}) },
  };
  // Matching only runs when the person has no link in this region, so nothing is re-linked here.
  const stored = await deps.links.createLinks(
    { esiaOid: person.oid, profileIds: all.map((e) => e.profile.id), method, defaultProfileId: all.length > 1 ? chosen.profile.id : undefined, onlyIfUnlinked: false },
    audit,
  );
  if (!stored.ok) {
    await deps.audit.record({ ...audit, outcome: 'refused', reason: 'link_failed', details: { method, conflict: stored.conflict } });
    return deny('link_failed', stored.conflict === 'esia_already_linked' ? 'esia_already_linked' : 'profile_linked_elsewhere');
  }
  return { kind: 'linked', profile: chosen.profile, method };
}

export type UnlinkActor = { kind: 'person'; esiaOid: string } | { kind: 'admin'; name: string };

/**
 * Removes a link, audited with who did it. A person may only unlink their own profile; an
 * admin any. After it the ESIA account can be linked again (e.g. to another profile).
 */
export async function unlink(deps: AccountsDeps, actor: UnlinkActor, esiaOid: string, profileId: string, meta: { requestId?: string } = {}): Promise<boolean> {
  if (actor.kind === 'person' && actor.esiaOid !== esiaOid) return false;
  return deps.links.unlink(esiaOid, profileId, {
    actor: actor.kind === 'person' ? esiaActor(actor.esiaOid) : `admin:${actor.name}`,
    action: AUDIT.unlinked,
    target: profileId,
    outcome: 'ok',
    requestId: meta.requestId,
    details: { esiaOid },
  });
}

/** The login went through with this profile: last use on the link, and an audit event for the reports. */
export async function recordLogin(deps: AccountsDeps, person: EsiaPerson, profile: DiaryProfile, ctx: LoginContext): Promise<void> {
  await deps.links.touch(person.oid, profile.id, { ...auditBase(person, ctx), action: AUDIT.login, target: profile.id, outcome: 'success', details: { level: person.level } });
}

/**
 * A login refused anywhere in the flow (consent, region, policy, matching, linking), in the
 * form the admin reports count by reason. `esiaOid` is unknown before ESIA answered.
 */
export async function recordRefusal(deps: AccountsDeps, esiaOid: string | undefined, refusal: { reason: ReasonCode; detail?: string }, ctx: RefusalContext): Promise<void> {
  await deps.audit.record({
    actor: esiaOid ? esiaActor(esiaOid) : 'anonymous',
    action: AUDIT.login,
    outcome: 'refused',
    reason: refusal.reason,
    region: ctx.regionCode,
    clientId: ctx.clientId,
    requestId: ctx.requestId,
    ...(refusal.detail ? { details: { detail: refusal.detail } } : {}),
  });
}
