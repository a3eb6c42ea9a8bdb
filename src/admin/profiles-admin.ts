import { z } from 'zod';
import type { AuditLog, LinkStore } from '../accounts/links.js';
import { NotFoundError } from '../errors/not-found.js';
import { InvalidRequest } from '../errors/oauth-errors.js';
import type { AdminCall } from './admin-call.js';
import { linkView, type LinkView } from './links-admin.js';
import type { ProfileAdminStore, StoredProfile } from './profile-store.js';

/**
 * One directory profile for an administrator: never the SNILS hash or the password hash,
 * only whether they are there (and the SNILS's last 4 digits, as support reads it out).
 * Reading one is audited: it shows personal data.
 */
export interface ProfileView {
  id: string;
  login: string;
  last_name: string;
  first_name: string;
  middle_name: string | null;
  birth_date: string | null;
  has_snils: boolean;
  snils_last4: string | null;
  email: string | null;
  email_confirmed: boolean;
  roles: string[];
  school_ids: string[];
  classes: string[];
  activated: boolean;
  region: string;
  has_password: boolean;
}

export const profileIdSchema = z.string().regex(/^[\p{L}\p{N}._:@-]{1,128}$/u, 'must be a profile id');

export function parseProfileId(value: unknown): string {
  const parsed = profileIdSchema.safeParse(value);
  if (!parsed.success) throw new InvalidRequest('id: must be a profile id');
  return parsed.data;
}

export function profileView(p: StoredProfile): ProfileView {
  return {
    id: p.id,
    login: p.login,
    last_name: p.lastName,
    first_name: p.firstName,
    middle_name: p.middleName,
    birth_date: p.birthDate,
    has_snils: p.snilsHash !== null,
    snils_last4: p.snilsLast4,
    email: p.email,
    email_confirmed: p.emailConfirmed,
    roles: p.roles,
    school_ids: p.schoolIds,
    classes: p.classes,
    activated: p.activated,
    region: p.region,
    has_password: p.passwordHash !== null,
  };
}

export interface ProfilesAdminDeps {
  store: ProfileAdminStore;
  links: LinkStore;
  audit: AuditLog;
}

export function createProfilesAdmin(deps: ProfilesAdminDeps) {
  return {
    async get(id: string, call: AdminCall): Promise<{ profile: ProfileView; link: LinkView | null }> {
      const profile = await deps.store.find(id);
      if (!profile) throw new NotFoundError(`profile ${id}`);
      const link = await deps.links.linkOfProfile(id);
      await deps.audit.record({ actor: call.actor, action: 'profile.read', target: id, outcome: 'ok', requestId: call.requestId });
      return { profile: profileView(profile), link: link ? linkView(link) : null };
    },

    /** Deletes the profile; its links go with it, each audited as a link.delete. */
    async remove(id: string, call: AdminCall): Promise<{ unlinked: string[] }> {
      const base = { actor: call.actor, outcome: 'ok', requestId: call.requestId, target: id };
      const removed = await deps.store.remove(id, (oids) => [
        ...oids.map((esiaOid) => ({ ...base, action: 'link.delete', details: { esiaOid, cause: 'profile.delete' } })),
        { ...base, action: 'profile.delete', details: { links: oids.length } },
      ]);
      if (!removed) throw new NotFoundError(`profile ${id}`);
      return { unlinked: removed.esiaOids };
    },
  };
}

export type ProfilesAdmin = ReturnType<typeof createProfilesAdmin>;
