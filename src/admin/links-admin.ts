import { z } from 'zod';
import type { Accounts } from '../accounts/accounts.js';
import type { AccountLink, AuditEvent, AuditLog, LinkStore } from '../accounts/links.js';
import { Conflict } from '../errors/conflict.js';
import { NotFoundError } from '../errors/not-found.js';
import { InvalidRequest } from '../errors/oauth-errors.js';
import type { AdminCall } from './admin-call.js';
import type { ProfileAdminStore } from './profile-store.js';

/**
 * Links between ESIA accounts and diary profiles, fixed by hand: list (by profile or by ESIA
 * oid), link (refused like automatic matching refuses: a profile held by another ESIA account
 * is never taken over), unlink (through the accounts domain, the admin as actor).
 */
export interface LinkView {
  esia_oid: string;
  profile_id: string;
  method: string;
  is_default: boolean;
  created_at: string;
  last_login_at: string | null;
}

export function linkView(link: AccountLink): LinkView {
  return {
    esia_oid: link.esiaOid,
    profile_id: link.profileId,
    method: link.method,
    is_default: link.isDefault,
    created_at: link.createdAt.toISOString(),
    last_login_at: link.lastLoginAt?.toISOString() ?? null,
  };
}

const esiaOid = z.string().regex(/^\d{1,20}$/, 'must be an ESIA oid (digits)');
const profileId = z.string().regex(/^[\p{L}\p{N}._:@-]{1,128}$/u, 'must be a profile id');
const listQuery = z
  .object({ esia_oid: esiaOid.optional(), profile_id: profileId.optional() })
  .refine((q) => (q.esia_oid === undefined) !== (q.profile_id === undefined), { message: 'give exactly one of esia_oid or profile_id' });
export const linkKey = z.object({ esia_oid: esiaOid, profile_id: profileId });

function parse<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input ?? {});
  if (!result.success) throw new InvalidRequest(result.error.issues.slice(0, 5).map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; '));
  return result.data;
}

export interface LinksAdminDeps {
  links: LinkStore;
  profiles: ProfileAdminStore;
  accounts: Pick<Accounts, 'unlink'>;
  audit: AuditLog;
}

const adminName = (call: AdminCall) => call.actor.replace(/^admin:/, '');

export function createLinksAdmin(deps: LinksAdminDeps) {
  return {
    async list(query: unknown, call: AdminCall): Promise<{ links: LinkView[] }> {
      const q = parse(listQuery, query);
      const links = q.esia_oid !== undefined ? await deps.links.linksOf(q.esia_oid) : [await deps.links.linkOfProfile(q.profile_id!)].filter((l) => l !== null);
      await deps.audit.record({ actor: call.actor, action: 'link.read', target: q.profile_id ?? q.esia_oid, outcome: 'ok', requestId: call.requestId, details: { by: q.esia_oid !== undefined ? 'esia_oid' : 'profile_id', found: links.length } });
      return { links: links.map(linkView) };
    },

    /** 201 with the link, or 200 when exactly this link exists already. */
    async create(body: unknown, call: AdminCall): Promise<{ created: boolean; link: LinkView }> {
      const { esia_oid: oid, profile_id: id } = parse(linkKey, body);
      if (!(await deps.profiles.find(id))) throw new NotFoundError(`profile ${id}`);
      const audit: AuditEvent = { actor: call.actor, action: 'link.create', target: id, outcome: 'linked', requestId: call.requestId, details: { method: 'admin', esiaOid: oid } };
      const refuse = async (conflict: string) => {
        await deps.audit.record({ ...audit, outcome: 'refused', reason: 'link_failed', details: { method: 'admin', esiaOid: oid, conflict } });
        return new Conflict(`profile ${id} is linked to another ESIA account; unlink it first`);
      };
      const current = await deps.links.linkOfProfile(id);
      if (current?.esiaOid === oid) return { created: false, link: linkView(current) };
      if (current) throw await refuse('profile_already_linked');
      const stored = await deps.links.createLinks({ esiaOid: oid, profileIds: [id], method: 'admin', onlyIfUnlinked: false }, audit);
      if (!stored.ok) throw await refuse(stored.conflict);
      const link = await deps.links.linkOfProfile(id);
      return { created: true, link: linkView(link!) };
    },

    async remove(params: unknown, call: AdminCall): Promise<void> {
      const { esia_oid: oid, profile_id: id } = parse(linkKey, params);
      const removed = await deps.accounts.unlink({ kind: 'admin', name: adminName(call) }, oid, id, { requestId: call.requestId });
      if (!removed) throw new NotFoundError(`link ${oid} → ${id}`);
    },
  };
}

export type LinksAdmin = ReturnType<typeof createLinksAdmin>;
