import type { DiaryProfile, Directory, Role } from '../../accounts/directory.js';
import { sql } from 'kysely';
import { verifyPassword } from '../../crypto/password.js';
import type { Db } from './database.js';
import { precompiled } from './prepared.js';

type ProfileRow = {
  id: string;
  login: string;
  last_name: string;
  first_name: string;
  middle_name: string | null;
  birth_date: Date | string | null;
  snils_hmac: string | null;
  snils_last4: string | null;
  email: string | null;
  email_confirmed: boolean;
  roles: string[];
  school_ids: string[];
  classes: string[];
  activated: boolean;
  region: string;
};

export function toDiaryProfile(row: ProfileRow): DiaryProfile {
  return {
    id: row.id,
    login: row.login,
    lastName: row.last_name,
    firstName: row.first_name,
    middleName: row.middle_name ?? undefined,
    birthDate: row.birth_date === null ? undefined : typeof row.birth_date === 'string' ? row.birth_date : row.birth_date.toISOString().slice(0, 10),
    snilsHash: row.snils_hmac ?? undefined,
    snilsLast4: row.snils_last4 ?? undefined,
    email: row.email ?? undefined,
    emailConfirmed: row.email_confirmed,
    roles: row.roles as Role[],
    schoolIds: row.school_ids,
    classes: row.classes,
    activated: row.activated,
    region: row.region,
  };
}

/** A profile's columns read through a left join: all null when there is no profile. */
export type ProfileRowOrNulls = { [K in keyof ProfileRow]: ProfileRow[K] | null };

export function toDiaryProfileOrNull(row: ProfileRowOrNulls): DiaryProfile | null {
  return row.id === null ? null : toDiaryProfile(row as ProfileRow);
}

/** What a DiaryProfile is read from (toDiaryProfile); never the password hash. */
export const PROFILE_COLUMNS = [
  'id', 'login', 'last_name', 'first_name', 'middle_name', 'birth_date', 'snils_hmac', 'snils_last4',
  'email', 'email_confirmed', 'roles', 'school_ids', 'classes', 'activated', 'region',
] as const;

export function createPostgresDirectory(db: Db): Directory {
  const profiles = () => db.selectFrom('profiles').select(PROFILE_COLUMNS);
  // Every callback and code exchange reads profiles by id: built once, prepared per connection.
  const profileById = precompiled('profile-by-id', profiles().where('id', '=', ''));
  return {
    async findById(id) {
      const [row] = (await db.executeQuery(profileById([id]))).rows;
      return row ? toDiaryProfile(row) : null;
    },
    async findBySnilsHash(snilsHash) {
      const rows = await profiles().where('snils_hmac', '=', snilsHash).orderBy('id').limit(20).execute();
      return rows.map(toDiaryProfile);
    },
    async findByConfirmedEmail(email) {
      // Served by profiles_email_idx on lower(email).
      const rows = await profiles()
        .where(sql<string>`lower(email)`, '=', email.trim().toLowerCase())
        .where('email_confirmed', '=', true)
        .orderBy('id')
        .limit(20)
        .execute();
      return rows.map(toDiaryProfile);
    },
    async authenticate(login, password) {
      const row = await findByLogin(db, login.trim());
      // verifyPassword runs a full scrypt even without a row: no timing oracle for logins.
      const ok = await verifyPassword(password, row?.password_hash ?? null);
      return ok && row ? toDiaryProfile(row) : null;
    },
  };
}

/** The exact login, else the one login equal to it ignoring case (never a guess among several). */
async function findByLogin(db: Db, login: string) {
  if (login.length === 0 || login.length > 200) return undefined;
  const query = db.selectFrom('profiles').select([...PROFILE_COLUMNS, 'password_hash']);
  const exact = await query.where('login', '=', login).executeTakeFirst();
  if (exact) return exact;
  const folded = await query.where(sql<string>`lower(login)`, '=', login.toLowerCase()).limit(2).execute();
  return folded.length === 1 ? folded[0] : undefined;
}
