import { ROLES, type Role } from '../accounts/directory.js';
import { snilsDigits, type SnilsHasher } from '../crypto/snils.js';
import { textProblem, type TextKind } from '../validation/readable-text.js';
import type { ImportColumn, ImportRecord, RawValue, RowError } from './import-format.js';

/**
 * One directory row checked field by field, every problem named (never echoing a SNILS,
 * date or password). A column the row does not carry is left as it is on an existing
 * profile; an empty cell clears an optional field. An empty password means "no change":
 * passwords are write-only and a re-exported file never holds them.
 */
export interface IncomingFields {
  login: string;
  lastName: string;
  firstName: string;
  middleName: string | null;
  birthDate: string | null;
  snils: { hash: string; last4: string } | null;
  email: string | null;
  emailConfirmed: boolean;
  roles: Role[];
  schoolIds: string[];
  /** Class names as the school writes them (5-в, 10а); a teacher may have several. */
  classes: string[];
  activated: boolean;
  region: string;
}

export interface IncomingProfile {
  id: string;
  fields: Partial<IncomingFields>;
  password: string | undefined;
}

/** What a new profile cannot do without. */
export const REQUIRED_FOR_NEW: readonly (keyof IncomingFields)[] = ['login', 'lastName', 'firstName', 'region', 'roles'];

const ROLE_ALIASES: Record<string, Role> = {
  'ученик': 'student', 'обучающийся': 'student', 'родитель': 'parent', 'законный представитель': 'parent',
  'учитель': 'teacher', 'педагог': 'teacher', 'сотрудник': 'staff', 'администратор': 'admin',
};
const TRUE = new Set(['true', '1', 'yes', 'y', 'да', 'д']);
const FALSE = new Set(['false', '0', 'no', 'n', 'нет', 'н', '']);
const ID = /^[\p{L}\p{N}._:@-]{1,128}$/u;
const CLASS = /^[\p{L}\p{N}._-]{1,32}$/u;
const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/;

class FieldError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/** Every cell is readable text (no NUL, no control characters; names without bidi controls). */
const text = (value: RawValue, kind: TextKind = 'line'): string => {
  if (value === null) return '';
  if (typeof value !== 'string') throw new FieldError('bad_type', 'must be text');
  const problem = textProblem(value, kind);
  if (problem) throw new FieldError('bad_characters', problem);
  return value.normalize('NFC');
};

function required(value: RawValue, max: number, kind: TextKind = 'line'): string {
  const v = text(value, kind);
  if (v === '') throw new FieldError('missing_field', 'is required');
  if (v.length > max) throw new FieldError('too_long', `must be at most ${max} characters`);
  return v;
}

function optional(value: RawValue, max: number, kind: TextKind = 'line'): string | null {
  const v = text(value, kind);
  return v === '' ? null : required(v, max, kind);
}

function list(value: RawValue): string[] {
  const items = Array.isArray(value) ? value.map((v) => text(v).trim()) : text(value).split(/[\s,|]+/);
  return [...new Set(items.filter((v) => v !== ''))];
}

function bool(value: RawValue): boolean {
  if (typeof value === 'boolean') return value;
  const v = text(value).toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new FieldError('bad_boolean', 'must be true or false (1/0, да/нет)');
}

/** yyyy-mm-dd or dd.mm.yyyy, a real calendar day between 1900 and today. */
export function isoDay(value: RawValue, today = new Date()): string | null {
  const v = text(value);
  if (v === '') return null;
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  const ru = /^(\d{2})\.(\d{2})\.(\d{4})$/.exec(v);
  if (!iso && !ru) throw new FieldError('bad_date', 'must be a date as yyyy-mm-dd or dd.mm.yyyy');
  const day = iso ? `${iso[1]}-${iso[2]}-${iso[3]}` : `${ru![3]}-${ru![2]}-${ru![1]}`;
  const date = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== day) throw new FieldError('bad_date', 'is not a calendar date');
  if (day < '1900-01-01' || date > today) throw new FieldError('bad_date', 'must be between 1900-01-01 and today');
  return day;
}

function roles(value: RawValue): Role[] {
  const names = list(value).map((r) => r.toLowerCase());
  if (names.length === 0) throw new FieldError('missing_field', 'needs at least one role');
  return [...new Set(names.map((name) => {
    const role = (ROLES as readonly string[]).includes(name) ? (name as Role) : ROLE_ALIASES[name];
    if (!role) throw new FieldError('unknown_role', `unknown role "${name.slice(0, 40)}"; known: ${ROLES.join(', ')}`);
    return role;
  }))];
}

function region(value: RawValue): string {
  // Spreadsheets drop the leading zero of 01..09.
  const v = required(value, 2);
  if (!/^\d{1,2}$/.test(v) || v === '0' || v === '00') throw new FieldError('bad_region', 'must be a region code 01-99');
  return v.padStart(2, '0');
}

type Parsers = { [K in keyof IncomingFields]: [ImportColumn, (value: RawValue) => IncomingFields[K]] };

function parsers(hashSnils: SnilsHasher, today: Date): Parsers {
  return {
    login: ['login', (v) => {
      const login = required(v, 200);
      if (/[\s\p{C}]/u.test(login)) throw new FieldError('bad_login', 'must not contain spaces or control characters');
      return login;
    }],
    lastName: ['last_name', (v) => required(v, 100, 'name')],
    firstName: ['first_name', (v) => required(v, 100, 'name')],
    middleName: ['middle_name', (v) => optional(v, 100, 'name')],
    birthDate: ['birth_date', (v) => isoDay(v, today)],
    snils: ['snils', (v) => {
      const raw = text(v);
      if (raw === '') return null;
      if (!snilsDigits(raw)) throw new FieldError('bad_snils', 'must be 11 digits (XXX-XXX-XXX YY)');
      const fingerprint = hashSnils(raw);
      if (!fingerprint) throw new FieldError('bad_snils_checksum', 'the check digits do not match');
      return fingerprint;
    }],
    email: ['email', (v) => {
      const email = optional(v, 254);
      if (email !== null && !EMAIL.test(email)) throw new FieldError('bad_email', 'is not an e-mail address');
      return email;
    }],
    emailConfirmed: ['email_confirmed', bool],
    roles: ['roles', roles],
    schoolIds: ['school_ids', (v) => {
      const ids = list(v);
      if (ids.some((id) => !ID.test(id) || id.length > 100)) throw new FieldError('bad_school_id', 'school ids are letters, digits and . _ : @ - (up to 100)');
      return ids;
    }],
    classes: ['classes', (v) => {
      const names = list(v);
      if (names.some((name) => !CLASS.test(name))) throw new FieldError('bad_class', 'class names are letters, digits and . _ - (up to 32)');
      return names;
    }],
    activated: ['activated', bool],
    region: ['region', region],
  };
}

export type Validated = { ok: true; profile: IncomingProfile } | { ok: false; id: string | undefined; errors: RowError[] };

export function createRowValidator(hashSnils: SnilsHasher, today = new Date()) {
  const table = parsers(hashSnils, today);
  return function validate(record: ImportRecord): Validated {
    const errors: RowError[] = [...record.errors];
    const { values } = record;
    const fail = (field: ImportColumn, error: unknown) => {
      if (!(error instanceof FieldError)) throw error;
      errors.push({ field, code: error.code, message: `${field}: ${error.message}` });
    };
    let id: string | undefined;
    try {
      id = required(values.id ?? null, 128);
      if (!ID.test(id)) throw new FieldError('bad_id', 'letters, digits and . _ : @ - only');
    } catch (error) {
      fail('id', error);
    }
    const fields: Partial<IncomingFields> = {};
    for (const [key, [column, parse]] of Object.entries(table) as Array<[keyof IncomingFields, [ImportColumn, (v: RawValue) => never]]>) {
      if (!(column in values)) continue;
      try {
        fields[key] = parse(values[column] ?? null);
      } catch (error) {
        fail(column, error);
      }
    }
    let password: string | undefined;
    if (values.password !== undefined && values.password !== null && values.password !== '') {
      if (typeof values.password !== 'string') fail('password', new FieldError('bad_type', 'must be text'));
      else if (values.password.length > 200) fail('password', new FieldError('too_long', 'must be at most 200 characters'));
      else if (textProblem(values.password)) fail('password', new FieldError('bad_characters', textProblem(values.password)!));
      else password = values.password;
    }
    return errors.length > 0 || id === undefined ? { ok: false, id, errors } : { ok: true, profile: { id, fields, password } };
  };
}

/** The cell checks other directory files (schools) share with profiles. */
export { FieldError, required as requiredCell, region as regionCell, ID as ID_PATTERN };
