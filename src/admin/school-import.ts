import type { AuditEvent } from '../accounts/links.js';
import type { School } from '../accounts/schools.js';
import type { AdminCall } from './admin-call.js';
import { readCsvAs, readJsonAs, type ImportRecord, type Position, type RawValue, type RowError, type TableFormat } from './import-format.js';
import { FieldError, ID_PATTERN, regionCell, requiredCell } from './import-rows.js';
import type { SchoolImportTransaction, SchoolStore } from './school-store.js';

/**
 * `POST /admin/schools/import`, `esia-broker schools import` and the /admin page's form: the
 * school directory (id, full and short name, municipality, region) from CSV or JSON, upserted
 * by id in one transaction with a report per row, like the profile import. Every column is
 * required: a school row is small and whole. Schools absent from the file stay.
 */
export const SCHOOL_COLUMNS = ['id', 'full_name', 'short_name', 'municipality', 'region'] as const;
export type SchoolColumn = (typeof SCHOOL_COLUMNS)[number];

const SCHOOL_FORMAT: TableFormat<SchoolColumn> = {
  columns: SCHOOL_COLUMNS,
  itemsKey: 'schools',
  // Headers of the diary's own exports («Общие данные по ОО: Название…»).
  aliases: {
    'идентификатор': 'id', 'код': 'id', 'код оо': 'id', 'id оо': 'id', 'полное наименование': 'full_name', 'полное название': 'full_name',
    'название': 'full_name', 'краткое наименование': 'short_name', 'краткое название': 'short_name', 'сокращённое наименование': 'short_name',
    'сокращенное наименование': 'short_name', 'муниципалитет': 'municipality', 'муниципальное образование': 'municipality', 'регион': 'region',
  },
};

export type SchoolImportInput = { format: 'csv'; text: string } | { format: 'json'; data: unknown };
export type SchoolRowStatus = 'created' | 'updated' | 'unchanged' | 'rejected';
export type SchoolRowReport = Position & { id?: string | undefined; status: SchoolRowStatus; fields?: SchoolColumn[]; errors?: Array<RowError<SchoolColumn>> };

export interface SchoolImportReport {
  dry_run: boolean;
  summary: Record<SchoolRowStatus, number> & { total: number };
  rows: SchoolRowReport[];
}

export interface SchoolImportDeps {
  store: SchoolStore;
}

type Checked = { position: Position; id?: string | undefined; school?: School; errors: Array<RowError<SchoolColumn>> };

const MAX: Record<Exclude<SchoolColumn, 'id' | 'region'>, number> = { full_name: 500, short_name: 200, municipality: 200 };

function check(record: ImportRecord<SchoolColumn>): Checked {
  const errors: Array<RowError<SchoolColumn>> = [...record.errors];
  const cell = <T>(column: SchoolColumn, parse: (value: RawValue) => T): T | undefined => {
    try {
      return parse(record.values[column] ?? null);
    } catch (error) {
      if (!(error instanceof FieldError)) throw error;
      errors.push({ field: column, code: error.code, message: `${column}: ${error.message}` });
      return undefined;
    }
  };
  const id = cell('id', (v) => {
    const value = requiredCell(v, 100);
    if (!ID_PATTERN.test(value)) throw new FieldError('bad_id', 'letters, digits and . _ : @ - only');
    return value;
  });
  const fullName = cell('full_name', (v) => requiredCell(v, MAX.full_name));
  const shortName = cell('short_name', (v) => requiredCell(v, MAX.short_name));
  const municipality = cell('municipality', (v) => requiredCell(v, MAX.municipality));
  const region = cell('region', regionCell);
  if (errors.length > 0 || id === undefined) return { position: record.position, id, errors };
  return { position: record.position, id, school: { id, fullName: fullName!, shortName: shortName!, municipality: municipality!, region: region! }, errors };
}

const where = (p: Position) => ('line' in p ? `line ${p.line}` : `item ${p.index}`);

const COMPARED: Array<[SchoolColumn, keyof School]> = [['full_name', 'fullName'], ['short_name', 'shortName'], ['municipality', 'municipality'], ['region', 'region']];

async function plan(tx: SchoolImportTransaction, checked: Checked[]): Promise<{ rows: SchoolRowReport[]; write: School[] }> {
  const seen = new Map<string, Position>();
  for (const row of checked) {
    if (!row.school) continue;
    const first = seen.get(row.school.id);
    if (first) {
      row.errors.push({ field: 'id', code: 'duplicate_id', message: `id: also on ${where(first)}` });
      delete row.school;
    } else seen.set(row.school.id, row.position);
  }
  const existing = await tx.existing([...seen.keys()]);
  const write: School[] = [];
  const rows = checked.map(({ position, id, school, errors }): SchoolRowReport => {
    if (!school) return { ...position, ...(id !== undefined ? { id } : {}), status: 'rejected', errors };
    const current = existing.get(school.id);
    if (!current) {
      write.push(school);
      return { ...position, id: school.id, status: 'created' };
    }
    const fields = COMPARED.filter(([, key]) => current[key] !== school[key]).map(([column]) => column);
    if (fields.length === 0) return { ...position, id: school.id, status: 'unchanged' };
    write.push(school);
    return { ...position, id: school.id, status: 'updated', fields };
  });
  return { rows, write };
}

function auditEvents(rows: SchoolRowReport[], summary: SchoolImportReport['summary'], call: AdminCall, dryRun: boolean): AuditEvent[] {
  const base = { actor: call.actor, requestId: call.requestId };
  const { total, created, updated, unchanged, rejected } = summary;
  const outcome = dryRun ? 'dry_run' : rejected > 0 ? 'partial' : 'ok';
  const changes = dryRun
    ? []
    : rows.flatMap((r): AuditEvent[] => (r.status === 'created' || r.status === 'updated' ? [{ ...base, action: `school.${r.status === 'created' ? 'create' : 'update'}`, target: r.id, outcome: 'ok', details: { via: 'import' } }] : []));
  return [...changes, { ...base, action: 'school.import', outcome, details: { total, created, updated, unchanged, rejected } }];
}

export function createSchoolImport(deps: SchoolImportDeps) {
  return async function importSchools(input: SchoolImportInput, call: AdminCall, options: { dryRun?: boolean } = {}): Promise<SchoolImportReport> {
    const records = input.format === 'csv' ? readCsvAs(SCHOOL_FORMAT, input.text) : readJsonAs(SCHOOL_FORMAT, input.data);
    const checked = records.map(check);
    const dryRun = options.dryRun ?? false;
    return deps.store.importTransaction(async (tx) => {
      const { rows, write } = await plan(tx, checked);
      const summary = { total: rows.length, created: 0, updated: 0, unchanged: 0, rejected: 0 };
      for (const row of rows) summary[row.status]++;
      // A dry run writes nothing but its audit event.
      if (!dryRun) await tx.upsert(write);
      await tx.audit(auditEvents(rows, summary, call, dryRun));
      return { dry_run: dryRun, summary, rows };
    });
  };
}

export type SchoolImport = ReturnType<typeof createSchoolImport>;
