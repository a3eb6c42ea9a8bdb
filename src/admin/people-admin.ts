import { z } from 'zod';
import type { AuditEvent, AuditLog, LinkStore } from '../accounts/links.js';
import { NotFoundError } from '../errors/not-found.js';
import { InvalidRequest } from '../errors/oauth-errors.js';
import type { AdminCall } from './admin-call.js';
import { linkView, type LinkView } from './links-admin.js';
import type { AuditEventView } from './reports.js';
import { profileIdSchema, profileView, type ProfileView } from './profiles-admin.js';
import type { ProfileAdminStore } from './profile-store.js';
import { LOGIN_EVENT_ACTIONS } from './retention.js';

/**
 * One person, for the subject's rights under 152-ФЗ (docs/personal-data.md): everything stored
 * about them (by diary profile id or ESIA oid) and their erasure. A person is the profile and
 * the ESIA accounts linked to it, or the ESIA account and the profiles linked to it.
 */
export type PersonRef = { by: 'profile'; id: string } | { by: 'esia'; oid: string };
export interface PersonScope {
  profileIds: string[];
  esiaOids: string[];
  /**
   * ESIA accounts once linked to the profiles and no longer: their SSO sessions end and they are
   * pseudonymised in the events about the profiles on erasure; their links elsewhere stay.
   */
  formerEsiaOids?: string[];
}

export interface PersonGrant {
  family_id: string;
  client_id: string;
  profile_id: string;
  esia_oid: string;
  esia_level: string;
  scope: string[];
  auth_time: string;
  created_at: string;
  expires_at: string;
}

/** A row of the person's login or audit history: the audit trail's own view of an event. */
export type PersonAuditRow = AuditEventView;

/** How erasure rewrites the audit trail: each of the person's ids becomes the same keyed hash everywhere. */
export interface ErasePlan {
  pseudonym(value: string): string;
  pseudonymActor(value: string): string;
}

export interface EraseCounts {
  links: number;
  grants: string[];
  profiles: number;
  audit_events: number;
}

export interface PeopleStore {
  /** ESIA accounts ever linked to the profiles (links made, logins, grants), as the audit trail and grants say. */
  accountsEverLinked(profileIds: string[]): Promise<string[]>;
  /** Live grants (not revoked, not expired); never a token or its hash. */
  grants(scope: PersonScope): Promise<PersonGrant[]>;
  /** Audit events naming any of the ids, newest first (at most 1000). */
  history(scope: PersonScope): Promise<PersonAuditRow[]>;
  /** In one transaction: links and grants deleted, profile fields blanked, audit pseudonymised, `event` recorded. */
  erase(scope: PersonScope, plan: ErasePlan, event: AuditEvent): Promise<EraseCounts>;
}

export interface PersonView {
  profiles: ProfileView[];
  links: LinkView[];
  grants: PersonGrant[];
  logins: PersonAuditRow[];
  audit: PersonAuditRow[];
}

export interface PeopleAdminDeps {
  profiles: ProfileAdminStore;
  links: LinkStore;
  people: PeopleStore;
  audit: AuditLog;
  /** Keyed HMAC (KEY_ENCRYPTION_KEY): the pseudonym of an id in the audit trail. */
  pseudonymOf: (value: string) => string;
  /** Ends every SSO session of an ESIA account (the state store); absent offline without Redis. */
  endSessionsOf?: ((esiaOid: string) => Promise<number>) | undefined;
  /** Deletes the manual-link counters kept under the person's ESIA oids and diary logins; absent offline without Redis. */
  forgetLinkFailures?: ((person: { esiaOids: string[]; logins: string[] }) => Promise<void>) | undefined;
}

const oidSchema = z.string().regex(/^\d{1,20}$/);

export function parsePersonRef(by: 'profile' | 'esia', value: unknown): PersonRef {
  if (by === 'profile') {
    const id = profileIdSchema.safeParse(value);
    if (!id.success) throw new InvalidRequest('id: must be a profile id');
    return { by, id: id.data };
  }
  const oid = oidSchema.safeParse(value);
  if (!oid.success) throw new InvalidRequest('oid: must be an ESIA oid (digits)');
  return { by, oid: oid.data };
}

const LOGIN_ACTIONS: readonly string[] = LOGIN_EVENT_ACTIONS;

export function createPeopleAdmin(deps: PeopleAdminDeps) {
  async function scopeOf(ref: PersonRef): Promise<PersonScope> {
    if (ref.by === 'profile') {
      if (!(await deps.profiles.find(ref.id))) throw new NotFoundError(`profile ${ref.id}`);
      const link = await deps.links.linkOfProfile(ref.id);
      const esiaOids = link ? [link.esiaOid] : [];
      // Unlinked before the erasure: the account's logins into this profile still name it.
      const formerEsiaOids = (await deps.people.accountsEverLinked([ref.id])).filter((oid) => !esiaOids.includes(oid));
      return { profileIds: [ref.id], esiaOids, formerEsiaOids };
    }
    const links = await deps.links.linksOf(ref.oid);
    return { profileIds: links.map((l) => l.profileId), esiaOids: [ref.oid] };
  }
  const targetOf = (ref: PersonRef) => (ref.by === 'profile' ? ref.id : `esia:${ref.oid}`);

  return {
    /** Everything stored about the person as JSON; the read itself is audited (person.read). */
    async show(ref: PersonRef, call: AdminCall): Promise<PersonView> {
      const scope = await scopeOf(ref);
      const profiles = (await Promise.all(scope.profileIds.map((id) => deps.profiles.find(id)))).flatMap((p) => (p ? [profileView(p)] : []));
      const links = (await Promise.all(scope.esiaOids.map((oid) => deps.links.linksOf(oid)))).flat();
      const history = await deps.people.history(scope);
      const view: PersonView = {
        profiles,
        links: links.map(linkView),
        grants: await deps.people.grants(scope),
        logins: history.filter((e) => LOGIN_ACTIONS.includes(e.action)),
        audit: history.filter((e) => !LOGIN_ACTIONS.includes(e.action)),
      };
      if (ref.by === 'esia' && profiles.length === 0 && history.length === 0) throw new NotFoundError(`ESIA account ${ref.oid}`);
      await deps.audit.record({ actor: call.actor, action: 'person.read', target: targetOf(ref), outcome: 'ok', requestId: call.requestId, details: { profiles: profiles.length, events: history.length } });
      return view;
    },

    /**
     * Erasure: ends the person's SSO sessions, deletes links and grants, blanks the profiles'
     * personal fields (the id stays, so a later directory import is the diary's decision), and
     * rewrites the audit trail with keyed pseudonyms (counts in reports stay right).
     */
    async erase(ref: PersonRef, call: AdminCall): Promise<{ erased: string; profiles: number; links: number; grants: number; sessions: number; audit_events: number }> {
      const scope = await scopeOf(ref);
      const ids = new Set([...scope.profileIds, ...scope.esiaOids, ...(scope.formerEsiaOids ?? [])]);
      const pseudonym = (v: string) => (ids.has(v) ? `~${deps.pseudonymOf(v)}` : v);
      const plan: ErasePlan = { pseudonym, pseudonymActor: (v) => (v.startsWith('esia:') ? `esia:${pseudonym(v.slice(5))}` : pseudonym(v)) };
      let sessions = 0;
      for (const oid of [...scope.esiaOids, ...(scope.formerEsiaOids ?? [])]) sessions += (await deps.endSessionsOf?.(oid)) ?? 0;
      // Read before the profiles are blanked: their logins name the lockout counters.
      const logins = (await Promise.all(scope.profileIds.map((id) => deps.profiles.find(id)))).flatMap((p) => (p ? [p.login] : []));
      await deps.forgetLinkFailures?.({ esiaOids: [...scope.esiaOids, ...(scope.formerEsiaOids ?? [])], logins });
      const erased = plan.pseudonymActor(targetOf(ref));
      const counts = await deps.people.erase(scope, plan, { actor: call.actor, action: 'person.erase', target: erased, outcome: 'ok', requestId: call.requestId, details: { profiles: scope.profileIds.length, accounts: scope.esiaOids.length } });
      // The same transaction owed each client with a backchannel_logout_uri a logout token per
      // ended grant (oidc/backchannel-logout.ts); the others learn at the next refresh or check.
      return { erased, profiles: counts.profiles, links: counts.links, grants: counts.grants.length, sessions, audit_events: counts.audit_events };
    },
  };
}

export type PeopleAdmin = ReturnType<typeof createPeopleAdmin>;
