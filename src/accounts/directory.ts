/**
 * The diary directory as the broker sees it: a port, so a Postgres table today and an HTTP
 * adapter to a diary backend tomorrow both fit. Never carries a SNILS in clear, only its
 * keyed hash (see crypto/snils-hash) and last 4 digits.
 */
import type { Role } from '../policy/roles.js';

export { ROLES, type Role } from '../policy/roles.js';

export interface DiaryProfile {
  id: string;
  login: string;
  lastName: string;
  firstName: string;
  middleName: string | undefined;
  /** ISO yyyy-mm-dd. */
  birthDate: string | undefined;
  snilsHash: string | undefined;
  snilsLast4: string | undefined;
  email: string | undefined;
  emailConfirmed: boolean;
  roles: Role[];
  schoolIds: string[];
  activated: boolean;
  /** Two-digit region code. */
  region: string;
}

export interface Directory {
  findById(id: string): Promise<DiaryProfile | null>;
}
