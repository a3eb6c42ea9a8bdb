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
  /** Class names (5-в); empty when the directory has none. */
  classes: string[];
  activated: boolean;
  /** Two-digit region code. */
  region: string;
}

/**
 * Small on purpose: each method is one question a diary backend can answer over HTTP. Lookups
 * return every profile that matches (a parent who is also a teacher may hold two); callers
 * filter by region and name.
 */
export interface Directory {
  findById(id: string): Promise<DiaryProfile | null>;
  /** Profiles whose SNILS hash (see crypto/snils.ts) equals `snilsHash`. */
  findBySnilsHash(snilsHash: string): Promise<DiaryProfile[]>;
  /** Profiles whose e-mail equals `email` (case-insensitive) AND is confirmed; unconfirmed ones never match. */
  findByConfirmedEmail(email: string): Promise<DiaryProfile[]>;
  /**
   * The profile with this login when `password` is its diary password, else null. Unknown
   * login and wrong password are indistinguishable, in result and in time.
   */
  authenticate(login: string, password: string): Promise<DiaryProfile | null>;
}
