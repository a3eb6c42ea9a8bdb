/**
 * The person ESIA vouched for, normalised from the id_token and /rs/prns/{oid} (+ ctts, docs).
 * Everything downstream (policy, matching) reads this type only, never raw ESIA JSON.
 */
export type EsiaLevel = 'simplified' | 'standard' | 'confirmed';

export interface EsiaContact {
  value: string;
  verified: boolean;
}

export interface EsiaPerson {
  /** ESIA oid, as a decimal string. */
  oid: string;
  lastName: string;
  firstName: string;
  middleName: string | undefined;
  /** ISO yyyy-mm-dd; ESIA may omit it for simplified accounts. */
  birthDate: string | undefined;
  gender: 'M' | 'F' | undefined;
  /** 11 digits, no separators; present only when ESIA gave one. */
  snils: string | undefined;
  /** Whether ESIA verified that SNILS (standard/confirmed accounts). */
  snilsVerified: boolean;
  emails: EsiaContact[];
  mobiles: EsiaContact[];
  level: EsiaLevel;
  /** ESIA's child-account marker (urn:esia:sbj:lvl = KD) when it gives one; undefined when unknown. */
  isChild: boolean | undefined;
  /** ESIA session id (urn:esia:sid), for logout correlation. */
  esiaSessionId: string | undefined;
  /** When ESIA authenticated the person (seconds since epoch). */
  authTime: number;
}

export function acrForLevel(level: EsiaLevel): `urn:esia:${EsiaLevel}` {
  return `urn:esia:${level}`;
}
