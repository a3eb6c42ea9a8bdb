import { standingFailure } from '../accounts/eligibility.js';
import type { ImportColumn, RowError } from './import-format.js';
import { REQUIRED_FOR_NEW, type IncomingFields, type IncomingProfile } from './import-rows.js';
import type { StoredProfile } from './profile-store.js';

/**
 * What one accepted row does to the directory: the whole row as it will be stored, and which
 * columns change. Pure: the caller reads the current rows and writes the result.
 */
export interface NewPassword {
  hash: string;
  digest: string;
}

export type RowPlan =
  | { kind: 'create'; final: StoredProfile }
  | { kind: 'update'; final: StoredProfile; fields: ImportColumn[] }
  | { kind: 'unchanged' }
  | { kind: 'reject'; errors: RowError[] };

const WIRE: Record<keyof IncomingFields, ImportColumn> = {
  login: 'login', lastName: 'last_name', firstName: 'first_name', middleName: 'middle_name', birthDate: 'birth_date',
  snils: 'snils', email: 'email', emailConfirmed: 'email_confirmed', roles: 'roles', schoolIds: 'school_ids', classes: 'classes',
  activated: 'activated', region: 'region',
};

const sortedList = (values: string[]) => [...values].sort().join(' ');

/** How each column compares between the stored row and the planned one. */
const COMPARE: Array<[ImportColumn, (p: StoredProfile) => string | boolean | null]> = [
  ['login', (p) => p.login], ['last_name', (p) => p.lastName], ['first_name', (p) => p.firstName],
  ['middle_name', (p) => p.middleName], ['birth_date', (p) => p.birthDate], ['snils', (p) => p.snilsHash],
  ['email', (p) => p.email], ['email_confirmed', (p) => p.emailConfirmed], ['roles', (p) => sortedList(p.roles)],
  ['school_ids', (p) => sortedList(p.schoolIds)], ['classes', (p) => sortedList(p.classes)], ['activated', (p) => p.activated], ['region', (p) => p.region],
  ['password', (p) => p.passwordDigest],
];

export const foldLogin = (login: string): string => login.normalize('NFC').toLowerCase();

function apply(base: StoredProfile, fields: Partial<IncomingFields>, password: NewPassword | undefined): StoredProfile {
  const { snils, ...plain } = fields;
  const next: StoredProfile = { ...base, ...plain };
  if (snils !== undefined) Object.assign(next, { snilsHash: snils?.hash ?? null, snilsLast4: snils?.last4 ?? null });
  if (password) Object.assign(next, { passwordHash: password.hash, passwordDigest: password.digest });
  return next;
}

function blank(id: string): StoredProfile {
  return {
    id, login: '', lastName: '', firstName: '', middleName: null, birthDate: null, snilsHash: null, snilsLast4: null,
    email: null, emailConfirmed: false, roles: [], schoolIds: [], classes: [], activated: false, region: '', passwordHash: null, passwordDigest: null,
  };
}

/**
 * `password`: the new hash when the row's password differs from the stored one (by digest),
 * undefined when the row has none or the same one.
 */
export function planRow(row: IncomingProfile, existing: StoredProfile | undefined, password: NewPassword | undefined): RowPlan {
  if (!existing) {
    const missing = REQUIRED_FOR_NEW.filter((field) => row.fields[field] === undefined);
    if (missing.length > 0) {
      return { kind: 'reject', errors: missing.map((field) => ({ field: WIRE[field], code: 'missing_field', message: `${WIRE[field]}: is required for a new profile` })) };
    }
    return { kind: 'create', final: apply(blank(row.id), row.fields, password) };
  }
  const final = apply(existing, row.fields, password);
  const fields = COMPARE.filter(([, value]) => value(final) !== value(existing)).map(([column]) => column);
  return fields.length === 0 ? { kind: 'unchanged' } : { kind: 'update', final, fields };
}

/**
 * Rows whose (new) login is already some other profile's, ignoring case, once this import is
 * applied: `owners` are the current holders, `finalLogins` the logins this import gives.
 */
export function loginsTaken(
  planned: ReadonlyArray<{ id: string; login: string }>,
  owners: ReadonlyArray<{ id: string; login: string }>,
  finalLogins: ReadonlyMap<string, string>,
): Map<string, string> {
  const holders = new Map<string, string[]>();
  for (const owner of owners) {
    const login = foldLogin(finalLogins.get(owner.id) ?? owner.login);
    holders.set(login, [...(holders.get(login) ?? []), owner.id]);
  }
  const taken = new Map<string, string>();
  for (const row of planned) {
    const other = holders.get(foldLogin(row.login))?.find((id) => id !== row.id);
    if (other) taken.set(row.id, other);
  }
  return taken;
}

/**
 * Updated profiles the import closes to ESIA logins (deactivated, or left with no school), by
 * reason: the token grants issued for them must end with the import, not at their expiry.
 */
export function closedProfiles(plans: readonly RowPlan[]): Map<string, string[]> {
  const closed = new Map<string, string[]>();
  for (const plan of plans) {
    if (plan.kind !== 'update') continue;
    const failure = standingFailure(plan.final);
    if (failure) closed.set(failure.detail, [...(closed.get(failure.detail) ?? []), plan.final.id]);
  }
  return closed;
}
