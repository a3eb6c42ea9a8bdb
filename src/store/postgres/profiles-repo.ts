import type { DiaryProfile } from '../../accounts/directory.js';
import type { Db } from './database.js';

/**
 * Writes diary profiles into the directory table, as a directory import would: the SNILS
 * arrives already hashed (HMAC + last 4) and the password already scrypt-hashed, so no
 * clear value ever reaches this layer.
 */
export interface ProfileRecord extends DiaryProfile {
  /** `scrypt$…` (crypto/password.ts), or null: the profile cannot log in with a password. */
  passwordHash: string | null;
}

export interface ProfileWriter {
  /**
   * Inserts or replaces each profile by id (login included) and removes every ESIA link to
   * them, so a re-seeded profile starts unlinked. One transaction.
   */
  replace(profiles: readonly ProfileRecord[]): Promise<void>;
}

export function createPostgresProfileWriter(db: Db): ProfileWriter {
  return {
    async replace(profiles) {
      if (profiles.length === 0) return;
      const ids = profiles.map((p) => p.id);
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('account_links').where('profile_id', 'in', ids).execute();
        // A login held by another id would block the upsert: the seed owns these logins.
        await trx.deleteFrom('profiles').where('login', 'in', profiles.map((p) => p.login)).where('id', 'not in', ids).execute();
        for (const profile of profiles) {
          const row = toRow(profile);
          await trx
            .insertInto('profiles')
            .values(row)
            .onConflict((oc) => oc.column('id').doUpdateSet({ ...row, updated_at: new Date() }))
            .execute();
        }
      });
    },
  };
}

function toRow(p: ProfileRecord) {
  return {
    id: p.id,
    login: p.login,
    password_hash: p.passwordHash,
    last_name: p.lastName,
    first_name: p.firstName,
    middle_name: p.middleName ?? null,
    birth_date: p.birthDate ?? null,
    snils_hmac: p.snilsHash ?? null,
    snils_last4: p.snilsLast4 ?? null,
    email: p.email ?? null,
    email_confirmed: p.emailConfirmed,
    roles: JSON.stringify(p.roles),
    school_ids: JSON.stringify(p.schoolIds),
    activated: p.activated,
    region: p.region,
  };
}
