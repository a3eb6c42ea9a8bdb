import { sql } from 'kysely';
import type { AccountLink, LinkMethod, LinkStore } from '../../accounts/links.js';
import { auditRow } from './audit-repo.js';
import { oweBackchannelLogouts } from './backchannel-logouts-repo.js';
import type { Db } from './database.js';
import { PROFILE_COLUMNS, toDiaryProfileOrNull } from './directory-repo.js';
import { precompiled } from './prepared.js';

type LinkRow = { esia_oid: string; profile_id: string; method: string; is_default: boolean; created_at: Date | string; last_login_at: Date | string | null };

function toLink(row: LinkRow): AccountLink {
  return {
    esiaOid: row.esia_oid,
    profileId: row.profile_id,
    method: row.method as LinkMethod,
    isDefault: row.is_default,
    createdAt: new Date(row.created_at),
    lastLoginAt: row.last_login_at === null ? null : new Date(row.last_login_at),
  };
}

/**
 * Serialises every change to one oid's links: a transaction-scoped advisory lock, so two
 * concurrent first links of the same ESIA account cannot both see "no link yet".
 */
async function lockOid(trx: Db, esiaOid: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`account_links:${esiaOid}`}))`.execute(trx);
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}

export function createPostgresLinkStore(db: Db): LinkStore {
  // Every /authorize with a session reads an oid's links, every callback them with their
  // profiles: built once, prepared per connection (prepared.ts).
  const linksOfOid = precompiled('links-of-oid', db.selectFrom('account_links').selectAll().where('esia_oid', '=', '').orderBy('created_at').orderBy('profile_id'));
  // The profiles table is the directory's (directory-repo.ts), in the same database. A left
  // join, so every link linksOf would return comes back, one whose profile were gone too.
  const linkedProfilesOfOid = precompiled(
    'linked-profiles-of-oid',
    db
      .selectFrom('account_links as l')
      .leftJoin('profiles as p', 'p.id', 'l.profile_id')
      .select(['l.esia_oid', 'l.profile_id', 'l.method', 'l.is_default', 'l.created_at', 'l.last_login_at'])
      .select(PROFILE_COLUMNS.map((column) => `p.${column}` as const))
      .where('l.esia_oid', '=', '')
      .orderBy('l.created_at')
      .orderBy('l.profile_id'),
  );
  return {
    async linksOf(esiaOid) {
      const { rows } = await db.executeQuery(linksOfOid([esiaOid]));
      return rows.map(toLink);
    },

    async linkedProfilesOf(esiaOid) {
      const { rows } = await db.executeQuery(linkedProfilesOfOid([esiaOid]));
      return rows.map((row) => ({ link: toLink(row), profile: toDiaryProfileOrNull(row) }));
    },

    async linkOfProfile(profileId) {
      const row = await db.selectFrom('account_links').selectAll().where('profile_id', '=', profileId).executeTakeFirst();
      return row ? toLink(row) : null;
    },

    async createLinks(links, audit) {
      return db.transaction().execute(async (trx) => {
        await lockOid(trx, links.esiaOid);
        if (links.onlyIfUnlinked) {
          const existing = await trx.selectFrom('account_links').select('profile_id').where('esia_oid', '=', links.esiaOid).limit(1).executeTakeFirst();
          if (existing) return { ok: false as const, conflict: 'esia_already_linked' as const };
        }
        const taken = await trx.selectFrom('account_links').select(['profile_id', 'esia_oid']).where('profile_id', 'in', [...links.profileIds]).execute();
        if (taken.some((row) => row.esia_oid !== links.esiaOid)) return { ok: false as const, conflict: 'profile_already_linked' as const };
        const fresh = links.profileIds.filter((id) => !taken.some((row) => row.profile_id === id));
        if (links.defaultProfileId) await trx.updateTable('account_links').set({ is_default: false }).where('esia_oid', '=', links.esiaOid).execute();
        if (fresh.length > 0) {
          await trx
            .insertInto('account_links')
            .values(fresh.map((profileId) => ({ esia_oid: links.esiaOid, profile_id: profileId, method: links.method, is_default: profileId === links.defaultProfileId })))
            .execute();
        }
        if (links.defaultProfileId && !fresh.includes(links.defaultProfileId)) {
          await trx.updateTable('account_links').set({ is_default: true }).where('esia_oid', '=', links.esiaOid).where('profile_id', '=', links.defaultProfileId).execute();
        }
        await trx.insertInto('audit_events').values(auditRow(audit)).execute();
        return { ok: true as const };
      }).catch((error: unknown) => {
        // Another ESIA account linked the same profile at the same moment: its unique index wins.
        if (isUniqueViolation(error)) return { ok: false as const, conflict: 'profile_already_linked' as const };
        throw error;
      });
    },

    async setDefault(esiaOid, profileId, audit) {
      return db.transaction().execute(async (trx) => {
        await lockOid(trx, esiaOid);
        const linked = await trx.selectFrom('account_links').select('profile_id').where('esia_oid', '=', esiaOid).where('profile_id', '=', profileId).executeTakeFirst();
        if (!linked) return false;
        // Clear first, then mark: the one-default index is checked row by row.
        await trx.updateTable('account_links').set({ is_default: false }).where('esia_oid', '=', esiaOid).execute();
        await trx.updateTable('account_links').set({ is_default: true }).where('esia_oid', '=', esiaOid).where('profile_id', '=', profileId).execute();
        await trx.insertInto('audit_events').values(auditRow(audit)).execute();
        return true;
      });
    },

    async unlink(esiaOid, profileId, audit) {
      return db.transaction().execute(async (trx) => {
        await lockOid(trx, esiaOid);
        const removed = await trx.deleteFrom('account_links').where('esia_oid', '=', esiaOid).where('profile_id', '=', profileId).executeTakeFirst();
        if (Number(removed.numDeletedRows) === 0) return false;
        // The grants this link let the account take die with it, in the same transaction.
        await oweBackchannelLogouts(trx, { by: 'link', esiaOid, profileId }, 'link_removed');
        await trx
          .updateTable('refresh_token_families')
          .set({ revoked_at: sql<Date>`now()`, revoked_reason: 'link_removed' })
          .where('profile_id', '=', profileId)
          .where('esia_oid', '=', esiaOid)
          .where('revoked_at', 'is', null)
          .execute();
        await trx.insertInto('audit_events').values(auditRow(audit)).execute();
        return true;
      });
    },

    async touch(esiaOid, profileId, audit) {
      // One statement (a data-modifying CTE): a login costs one round trip here, not two.
      await db
        .with('touched', (db) => db.updateTable('account_links').set({ last_login_at: sql<Date>`now()` }).where('esia_oid', '=', esiaOid).where('profile_id', '=', profileId).returning('profile_id'))
        .insertInto('audit_events')
        .values(auditRow(audit))
        .execute();
    },
  };
}
