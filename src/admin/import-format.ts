import { parse } from 'csv-parse/sync';
import { InvalidRequest } from '../errors/oauth-errors.js';

/**
 * Reading a directory file: CSV (UTF-8, a header row, `;` or `,` detected from the header)
 * or a JSON array of objects, into records of named raw values with their position in the
 * file. Problems with the whole file (no header, unknown column, broken quoting) are fatal
 * and throw; problems of one item stay with it and reject only that row.
 */
export const IMPORT_COLUMNS = [
  'id', 'login', 'last_name', 'first_name', 'middle_name', 'birth_date', 'snils', 'email',
  'email_confirmed', 'roles', 'school_ids', 'classes', 'activated', 'region', 'password',
] as const;
export type ImportColumn = (typeof IMPORT_COLUMNS)[number];
export type RawValue = string | boolean | string[] | null;

export interface RowError<C extends string = ImportColumn> {
  field?: C | undefined;
  code: string;
  message: string;
}

/** `line`: the CSV line the record starts on (the header is line 1); `index`: 0-based position in a JSON array. */
export type Position = { line: number } | { index: number };

export interface ImportRecord<C extends string = ImportColumn> {
  position: Position;
  values: Partial<Record<C, RawValue>>;
  errors: Array<RowError<C>>;
}

/**
 * What a kind of directory file holds: its columns (wire names), the Russian headers taken for
 * them, the JSON wrapper key (`{"profiles": [...]}`), and the columns kept untrimmed.
 */
export interface TableFormat<C extends string> {
  columns: readonly C[];
  aliases: Readonly<Record<string, C>>;
  itemsKey: string;
  untrimmed?: readonly C[];
}

export const MAX_IMPORT_ROWS = 100_000;

/** Russian headers as school administrators export them, besides the wire names. */
const ALIASES: Record<string, ImportColumn> = {
  'идентификатор': 'id', 'id профиля': 'id', 'логин': 'login', 'фамилия': 'last_name', 'имя': 'first_name',
  'отчество': 'middle_name', 'дата рождения': 'birth_date', 'снилс': 'snils', 'e-mail': 'email',
  'электронная почта': 'email', 'почта подтверждена': 'email_confirmed', 'роли': 'roles', 'роль': 'roles',
  'школы': 'school_ids', 'оо': 'school_ids', 'классы': 'classes', 'класс': 'classes', 'активирован': 'activated', 'регион': 'region', 'пароль': 'password',
};

export const PROFILE_FORMAT: TableFormat<ImportColumn> = { columns: IMPORT_COLUMNS, aliases: ALIASES, itemsKey: 'profiles', untrimmed: ['password'] };

function columnOf<C extends string>(format: TableFormat<C>, header: string): C | undefined {
  const name = header.normalize('NFC').trim().toLowerCase().replace(/ё/g, 'е').replace(/\s+/g, ' ');
  if ((format.columns as readonly string[]).includes(name)) return name as C;
  return format.aliases[name];
}

const keep = <C extends string>(format: TableFormat<C>, column: C, raw: string) => (format.untrimmed?.includes(column) ? raw : raw.trim());

/** The header's delimiter: whichever of `;` and `,` it holds more of (a one-column file: `,`). */
export function detectDelimiter(text: string): ';' | ',' {
  const header = text.slice(0, text.search(/\r?\n|$/));
  const count = (ch: string) => header.split(ch).length - 1;
  return count(';') > count(',') ? ';' : ',';
}

function tooMany(count: number): void {
  if (count > MAX_IMPORT_ROWS) throw new InvalidRequest(`import: at most ${MAX_IMPORT_ROWS} rows per file (split it)`);
}

export function readCsv(text: string): ImportRecord[] {
  return readCsvAs(PROFILE_FORMAT, text);
}

export function readJson(input: unknown): ImportRecord[] {
  return readJsonAs(PROFILE_FORMAT, input);
}

export function readCsvAs<C extends string>(format: TableFormat<C>, text: string): Array<ImportRecord<C>> {
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') throw new InvalidRequest('import: the file is empty');
  let rows: Array<{ record: string[]; info: { lines: number } }>;
  try {
    rows = parse(body, { delimiter: detectDelimiter(body), info: true, skip_empty_lines: true, relax_column_count: true }) as unknown as typeof rows;
  } catch (error) {
    const csv = error as { code?: string; lines?: number };
    // csv-parse messages may quote file content: only its code and line number go out.
    throw new InvalidRequest(`import: not valid CSV (${csv.code ?? 'parse error'}${csv.lines ? ` at line ${csv.lines}` : ''})`);
  }
  const [header, ...data] = rows;
  const columns = header!.record.map((name, i) => {
    const column = columnOf(format, name);
    if (!column) throw new InvalidRequest(`import: unknown column "${name.slice(0, 40)}" (column ${i + 1}); known: ${format.columns.join(', ')}`);
    return column;
  });
  const duplicate = columns.find((c, i) => columns.indexOf(c) !== i);
  if (duplicate) throw new InvalidRequest(`import: column ${duplicate} appears twice`);
  if (!columns.includes('id' as C)) throw new InvalidRequest('import: the header has no id column');
  tooMany(data.length);
  return data.map(({ record, info }) => {
    // info.lines is where the record ends; quoted fields may span lines.
    const spanned = record.reduce((n, field) => n + (field.match(/\n/g)?.length ?? 0), 0);
    const errors: Array<RowError<C>> = [];
    if (record.length !== columns.length) errors.push({ code: 'bad_column_count', message: `has ${record.length} fields, the header ${columns.length}` });
    const values: ImportRecord<C>['values'] = {};
    columns.forEach((column, i) => {
      const raw = record[i];
      if (raw !== undefined) values[column] = keep(format, column, raw);
    });
    return { position: { line: info.lines - spanned }, values, errors };
  });
}

function jsonValue(value: unknown): RawValue | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) return value.map(String);
  return undefined;
}

export function readJsonAs<C extends string>(format: TableFormat<C>, input: unknown): Array<ImportRecord<C>> {
  const items = Array.isArray(input) ? input : (input as Record<string, unknown> | null)?.[format.itemsKey];
  if (!Array.isArray(items)) throw new InvalidRequest(`import: expected a JSON array of ${format.itemsKey} (or {"${format.itemsKey}": [...]})`);
  if (items.length === 0) throw new InvalidRequest('import: the file is empty');
  tooMany(items.length);
  return items.map((item: unknown, index) => {
    const record: ImportRecord<C> = { position: { index }, values: {}, errors: [] };
    if (!item || typeof item !== 'object' || Array.isArray(item)) {
      record.errors.push({ code: 'not_an_object', message: 'each item must be an object' });
      return record;
    }
    for (const [key, value] of Object.entries(item)) {
      const column = columnOf(format, key);
      const raw = jsonValue(value);
      if (!column) record.errors.push({ code: 'unknown_field', message: `unknown field "${key.slice(0, 40)}"` });
      else if (raw === undefined) record.errors.push({ field: column, code: 'bad_type', message: `${column}: must be a string, number, boolean, null or a list of strings` });
      else record.values[column] = typeof raw === 'string' ? keep(format, column, raw) : raw;
    }
    return record;
  });
}
