import { sql } from 'kysely';
import type { AuditEvent } from '../../accounts/links.js';
import type { ErasePlan, PeopleStore, PersonAuditRow, PersonGrant } from '../../admin/people-admin.js';
import { auditRow } from './audit-repo.js';
import { oweBackchannelLogouts } from './backchannel-logouts-repo.js';
import type { Db } from './database.js';

const HISTORY_LIMIT = 1000;
const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

/** The audit rows that name one of the person's ids: as actor, target, or a value in details. */
function naming(db: Db, ids: string[]) {
  const actors = ids.map((id) => `esia:${id}`);
  return db
    .selectFrom('audit_events')
    .where((eb) =>
      eb.or([
        eb('actor', 'in', actors),
        eb('target', 'in', [...ids, ...actors]),
        sql<boolean>`exists (select 1 from jsonb_each_text(details) d where d.value = any(${ids}::text[]))`,
      ]),
    );
}

/** Everything stored about one person (their profile ids and ESIA oids), and their erasure. */
export function createPostgresPeopleStore(db: Db): PeopleStore {
  return {
    async accountsEverLinked(profileIds) {
      if (profileIds.length === 0) return [];
      // Only accounts that were linked (a link made, a login, a default chosen; an unlink names
      // the account in details): a stranger's refused attempt at the profile is their own record.
      const { rows } = await sql<{ oid: string }>`
        select substr(actor, 6) as oid from audit_events
          where target = any(${profileIds}::text[]) and actor like 'esia:%'
            and ((action in ('link.create', 'link.manual_attempt') and outcome = 'linked') or (action = 'login' and outcome = 'success') or action = 'link.default')
        union
        select details->>'esiaOid' from audit_events
          where target = any(${profileIds}::text[]) and details->>'esiaOid' is not null
            and (action = 'link.delete' or (action = 'link.create' and outcome = 'linked'))
        union
        select esia_oid from refresh_token_families where profile_id = any(${profileIds}::text[])`.execute(db);
      return rows.map((r) => r.oid).filter((oid) => /^\d{1,20}$/.test(oid));
    },

    async grants(scope) {
      const rows = await db
        .selectFrom('refresh_token_families')
        .select(['id', 'client_id', 'profile_id', 'esia_oid', 'esia_level', 'scope', 'auth_time', 'created_at', 'expires_at'])
        .where((eb) => eb.or([eb('profile_id', 'in', ['', ...scope.profileIds]), eb('esia_oid', 'in', ['', ...scope.esiaOids])]))
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', new Date())
        .orderBy('created_at', 'desc')
        .execute();
      return rows.map(
        (r): PersonGrant => ({ family_id: r.id, client_id: r.client_id, profile_id: r.profile_id, esia_oid: r.esia_oid, esia_level: r.esia_level, scope: r.scope, auth_time: iso(r.auth_time)!, created_at: iso(r.created_at)!, expires_at: iso(r.expires_at)! }),
      );
    },

    async history(scope) {
      const ids = [...scope.profileIds, ...scope.esiaOids];
      if (ids.length === 0) return [];
      const rows = await naming(db, ids)
        .select(['id', 'at', 'actor', 'action', 'target', 'outcome', 'reason', 'region', 'client_id', 'request_id', 'details'])
        .orderBy('at', 'desc')
        .orderBy('id', 'desc')
        .limit(HISTORY_LIMIT)
        .execute();
      return rows.map((r): PersonAuditRow => ({ ...r, at: iso(r.at)! }));
    },

    async erase(scope, plan: ErasePlan, event: AuditEvent) {
      return db.transaction().execute(async (tx) => {
        const links = await tx
          .deleteFrom('account_links')
          .where((eb) => eb.or([eb('profile_id', 'in', ['', ...scope.profileIds]), eb('esia_oid', 'in', ['', ...scope.esiaOids])]))
          .executeTakeFirst();
        // Their clients are owed a logout token (the row holds the profile id only, never the oid).
        await oweBackchannelLogouts(tx, { by: 'person', profileIds: scope.profileIds, esiaOids: scope.esiaOids }, 'erased');
        // Deleted, not only revoked: the rows hold the oid. Their access tokens are refused at
        // once (the family is gone), their refresh tokens go with them (cascade).
        const grants = await tx
          .deleteFrom('refresh_token_families')
          .where((eb) => eb.or([eb('profile_id', 'in', ['', ...scope.profileIds]), eb('esia_oid', 'in', ['', ...scope.esiaOids])]))
          .returning('id')
          .execute();
        const profiles = await tx
          .updateTable('profiles')
          .set((eb) => ({
            login: sql<string>`'erased:' || ${eb.ref('id')}`,
            password_hash: null,
            password_digest: null,
            last_name: '',
            first_name: '',
            middle_name: null,
            birth_date: null,
            snils_hmac: null,
            snils_last4: null,
            email: null,
            email_confirmed: false,
            activated: false,
            updated_at: new Date(),
          }))
          .where('id', 'in', ['', ...scope.profileIds])
          .executeTakeFirst();
        const ids = [...scope.profileIds, ...scope.esiaOids];
        const rows = ids.length ? await naming(tx as unknown as Db, ids).select(['id', 'actor', 'target', 'details']).forUpdate().execute() : [];
        for (const row of rows) {
          const details = Object.fromEntries(Object.entries(row.details).map(([k, v]) => [k, typeof v === 'string' ? plan.pseudonym(v) : v]));
          await tx.updateTable('audit_events').set({ actor: plan.pseudonymActor(row.actor), target: row.target === null ? null : plan.pseudonymActor(row.target), details: JSON.stringify(details) }).where('id', '=', row.id).execute();
        }
        await tx.insertInto('audit_events').values(auditRow(event)).execute();
        return { links: Number(links.numDeletedRows), grants: grants.map((g) => g.id), profiles: Number(profiles.numUpdatedRows), audit_events: rows.length };
      });
    },
  };
}
