import { sql } from 'kysely';
import type { ImportTransaction, ProfileAdminStore, StoredProfile } from '../../admin/profile-store.js';
import { LoginConflictError } from '../../admin/profile-store.js';
import { auditRow } from './audit-repo.js';
import { oweBackchannelLogouts } from './backchannel-logouts-repo.js';
import type { Db } from './database.js';

/**
 * The admin side of `profiles`: bulk upsert for the directory import (multi-row statements in
 * chunks, so 10,000 rows are a few dozen round trips), reads by id, and delete.
 */
const CHUNK = 500;
const AUDIT_CHUNK = 1000;
const IMPORT_LOCK = 'profiles:import';

type Row = {
  id: string; login: string; last_name: string; first_name: string; middle_name: string | null; birth_date: Date | string | null;
  snils_hmac: string | null; snils_last4: string | null; email: string | null; email_confirmed: boolean; roles: string[];
  school_ids: string[]; classes: string[]; activated: boolean; region: string; password_hash: string | null; password_digest: string | null;
};

const COLUMNS = [
  'id', 'login', 'last_name', 'first_name', 'middle_name', 'birth_date', 'snils_hmac', 'snils_last4', 'email',
  'email_confirmed', 'roles', 'school_ids', 'classes', 'activated', 'region', 'password_hash', 'password_digest',
] as const;

function toStored(row: Row): StoredProfile {
  return {
    id: row.id,
    login: row.login,
    lastName: row.last_name,
    firstName: row.first_name,
    middleName: row.middle_name,
    birthDate: row.birth_date === null ? null : typeof row.birth_date === 'string' ? row.birth_date : row.birth_date.toISOString().slice(0, 10),
    snilsHash: row.snils_hmac,
    snilsLast4: row.snils_last4,
    email: row.email,
    emailConfirmed: row.email_confirmed,
    roles: row.roles,
    schoolIds: row.school_ids,
    classes: row.classes,
    activated: row.activated,
    region: row.region,
    passwordHash: row.password_hash,
    passwordDigest: row.password_digest,
  };
}

function toRow(p: StoredProfile) {
  return {
    id: p.id, login: p.login, last_name: p.lastName, first_name: p.firstName, middle_name: p.middleName, birth_date: p.birthDate,
    snils_hmac: p.snilsHash, snils_last4: p.snilsLast4, email: p.email, email_confirmed: p.emailConfirmed,
    roles: JSON.stringify(p.roles), school_ids: JSON.stringify(p.schoolIds), classes: JSON.stringify(p.classes), activated: p.activated, region: p.region,
    password_hash: p.passwordHash, password_digest: p.passwordDigest,
  };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const isUniqueViolation = (error: unknown) => typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';

function importTransaction(trx: Db): ImportTransaction {
  return {
    async existing(ids) {
      const found = new Map<string, StoredProfile>();
      for (const part of chunks(ids, 5000)) {
        const rows = await trx.selectFrom('profiles').select(COLUMNS).where('id', '=', sql<string>`any(${[...part]}::text[])`).execute();
        for (const row of rows) found.set(row.id, toStored(row));
      }
      return found;
    },
    async loginOwners(folded) {
      if (folded.length === 0) return [];
      // Served by profiles_login_lower_idx (migration 0003).
      return trx.selectFrom('profiles').select(['id', 'login']).where(sql<string>`lower(login)`, '=', sql<string>`any(${[...folded]}::text[])`).execute();
    },
    async upsert(profiles) {
      for (const part of chunks(profiles, CHUNK)) {
        await trx
          .insertInto('profiles')
          .values(part.map(toRow))
          .onConflict((oc) =>
            oc.column('id').doUpdateSet((eb) => ({
              ...Object.fromEntries(COLUMNS.filter((c) => c !== 'id').map((c) => [c, eb.ref(`excluded.${c}`)])),
              updated_at: sql<Date>`now()`,
            })),
          )
          .execute();
      }
    },
    async audit(events) {
      for (const part of chunks(events, AUDIT_CHUNK)) await trx.insertInto('audit_events').values(part.map(auditRow)).execute();
    },
    async revokeGrants(profileIds, reason) {
      for (const part of chunks(profileIds, 5000)) {
        await oweBackchannelLogouts(trx, { by: 'profiles', profileIds: part }, reason);
        await trx
          .updateTable('refresh_token_families')
          .set({ revoked_at: sql<Date>`now()`, revoked_reason: reason })
          .where('profile_id', '=', sql<string>`any(${[...part]}::text[])`)
          .where('revoked_at', 'is', null)
          .execute();
      }
    },
  };
}

export function createPostgresProfileAdminStore(db: Db): ProfileAdminStore {
  return {
    async passwordDigests(ids) {
      const digests = new Map<string, string | null>();
      for (const part of chunks(ids, 5000)) {
        const rows = await db.selectFrom('profiles').select(['id', 'password_digest']).where('id', '=', sql<string>`any(${[...part]}::text[])`).execute();
        for (const row of rows) digests.set(row.id, row.password_digest);
      }
      return digests;
    },

    async importTransaction(work) {
      try {
        return await db.transaction().execute(async (trx) => {
          await sql`select pg_advisory_xact_lock(hashtext(${IMPORT_LOCK}))`.execute(trx);
          return work(importTransaction(trx));
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new LoginConflictError();
        throw error;
      }
    },

    async find(id) {
      const row = await db.selectFrom('profiles').select(COLUMNS).where('id', '=', id).executeTakeFirst();
      return row ? toStored(row) : null;
    },

    async remove(id, audit) {
      return db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(hashtext(${IMPORT_LOCK}))`.execute(trx);
        const links = await trx.selectFrom('account_links').select('esia_oid').where('profile_id', '=', id).execute();
        await oweBackchannelLogouts(trx, { by: 'profiles', profileIds: [id] }, 'profile_deleted');
        // account_links and refresh_token_families go with the profile (on delete cascade).
        const removed = await trx.deleteFrom('profiles').where('id', '=', id).executeTakeFirst();
        if (Number(removed.numDeletedRows) === 0) return null;
        const esiaOids = links.map((l) => l.esia_oid);
        const events = audit(esiaOids);
        if (events.length > 0) await trx.insertInto('audit_events').values(events.map(auditRow)).execute();
        return { esiaOids };
      });
    },
  };
}
