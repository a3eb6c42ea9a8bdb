import type { DiaryProfile, Directory, Role } from '../../accounts/directory.js';
import type { Db } from './database.js';

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
    activated: row.activated,
    region: row.region,
  };
}

const PROFILE_COLUMNS = [
  'id', 'login', 'last_name', 'first_name', 'middle_name', 'birth_date', 'snils_hmac', 'snils_last4',
  'email', 'email_confirmed', 'roles', 'school_ids', 'activated', 'region',
] as const;

export function createPostgresDirectory(db: Db): Directory {
  return {
    async findById(id) {
      const row = await db.selectFrom('profiles').select(PROFILE_COLUMNS).where('id', '=', id).executeTakeFirst();
      return row ? toDiaryProfile(row) : null;
    },
  };
}
