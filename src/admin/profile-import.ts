import type { AuditEvent, AuditLog } from '../accounts/links.js';
import { hashPassword } from '../crypto/password.js';
import type { PasswordDigester } from '../crypto/password-digest.js';
import type { SnilsHasher } from '../crypto/snils.js';
import { Conflict } from '../errors/conflict.js';
import { InvalidRequest } from '../errors/oauth-errors.js';
import type { AdminCall } from './admin-call.js';
import { readCsv, readJson, type ImportColumn, type ImportRecord, type Position, type RowError } from './import-format.js';
import { closedProfiles, foldLogin, loginsTaken, planRow, type NewPassword, type RowPlan } from './import-plan.js';
import { createRowValidator, type IncomingProfile } from './import-rows.js';
import { LoginConflictError, type ImportTransaction, type ProfileAdminStore, type StoredProfile } from './profile-store.js';

/**
 * `POST /admin/profiles/import` and `esia-broker profiles import`: upsert by profile id, a
 * report per row, all in one transaction (rejected rows are reported, the good ones stored;
 * a fatal problem stores nothing). A profile the import deactivates or detaches from every
 * school loses its token grants in that transaction. Only passwords that differ from the
 * stored one (by their digest) are hashed, before the transaction, a few at a time: scrypt is
 * the slow part.
 */
export type ImportInput = { format: 'csv'; text: string } | { format: 'json'; data: unknown };

export interface ImportOptions {
  dryRun?: boolean;
  /** New passwords one call may hash (the API's request budget); unlimited when absent. */
  maxNewPasswords?: number;
}

export type RowStatus = 'created' | 'updated' | 'unchanged' | 'rejected';
export type RowReport = Position & { id?: string | undefined; status: RowStatus; fields?: ImportColumn[]; errors?: RowError[] };

export interface ImportReport {
  dry_run: boolean;
  summary: Record<RowStatus, number> & { total: number };
  rows: RowReport[];
}

export interface ProfileImportDeps {
  store: ProfileAdminStore;
  audit: AuditLog;
  hashSnils: SnilsHasher;
  digestPassword: PasswordDigester;
  /** Parallel scrypt calls (libuv runs 4 threads; logins need some too). */
  hashConcurrency?: number;
}

type Accepted = { position: Position; profile: IncomingProfile };
type Outcome = { position: Position; id?: string | undefined; plan: RowPlan };

class DryRun extends Error {
  constructor(readonly report: ImportReport) {
    super('dry run');
  }
}

function readInput(input: ImportInput): ImportRecord[] {
  return input.format === 'csv' ? readCsv(input.text) : readJson(input.data);
}

const where = (p: Position) => ('line' in p ? `line ${p.line}` : `item ${p.index}`);

/** Validates every record; a second row with an id or a login (ignoring case) seen before is rejected. */
function validateAll(records: ImportRecord[], hashSnils: SnilsHasher): { accepted: Accepted[]; rejected: Outcome[] } {
  const validate = createRowValidator(hashSnils);
  const accepted: Accepted[] = [];
  const rejected: Outcome[] = [];
  const ids = new Map<string, Position>();
  const logins = new Map<string, Position>();
  for (const record of records) {
    const result = validate(record);
    if (!result.ok) {
      rejected.push({ position: record.position, id: result.id, plan: { kind: 'reject', errors: result.errors } });
      continue;
    }
    const { profile } = result;
    const login = profile.fields.login === undefined ? undefined : foldLogin(profile.fields.login);
    const errors: RowError[] = [];
    const sameId = ids.get(profile.id);
    if (sameId) errors.push({ field: 'id', code: 'duplicate_id', message: `id: also on ${where(sameId)}` });
    const sameLogin = login === undefined ? undefined : logins.get(login);
    if (sameLogin) errors.push({ field: 'login', code: 'duplicate_login', message: `login: also on ${where(sameLogin)}` });
    if (errors.length > 0) {
      rejected.push({ position: record.position, id: profile.id, plan: { kind: 'reject', errors } });
      continue;
    }
    ids.set(profile.id, record.position);
    if (login !== undefined) logins.set(login, record.position);
    accepted.push({ position: record.position, profile });
  }
  return { accepted, rejected };
}

async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Hashes the passwords that differ from the stored ones; the transaction re-checks against fresh rows. */
async function hashChangedPasswords(deps: ProfileImportDeps, accepted: Accepted[], options: ImportOptions): Promise<Map<string, NewPassword>> {
  const withPassword = accepted.filter((a) => a.profile.password !== undefined);
  if (withPassword.length === 0) return new Map();
  const stored = await deps.store.passwordDigests(withPassword.map((a) => a.profile.id));
  const changed = withPassword
    .map((a) => ({ id: a.profile.id, password: a.profile.password!, digest: deps.digestPassword(a.profile.id, a.profile.password!) }))
    .filter((p) => stored.get(p.id) !== p.digest);
  if (options.maxNewPasswords !== undefined && changed.length > options.maxNewPasswords) {
    throw new InvalidRequest(`import: ${changed.length} new passwords to hash, at most ${options.maxNewPasswords} per request; split the file or use the esia-broker CLI`);
  }
  const hashes = await mapLimit(changed, deps.hashConcurrency ?? 2, (p) => hashPassword(p.password));
  return new Map(changed.map((p, i) => [p.id, { hash: hashes[i]!, digest: p.digest }]));
}

async function planAll(deps: ProfileImportDeps, tx: ImportTransaction, accepted: Accepted[], hashed: Map<string, NewPassword>): Promise<Outcome[]> {
  const existing = await tx.existing(accepted.map((a) => a.profile.id));
  const outcomes: Outcome[] = [];
  for (const { position, profile } of accepted) {
    const current = existing.get(profile.id);
    let password: NewPassword | undefined;
    if (profile.password !== undefined) {
      const digest = deps.digestPassword(profile.id, profile.password);
      // Hashed beforehand unless another import changed the stored password meanwhile.
      if (current?.passwordDigest !== digest) password = hashed.get(profile.id) ?? { hash: await hashPassword(profile.password), digest };
    }
    outcomes.push({ position, id: profile.id, plan: planRow(profile, current, password) });
  }
  return rejectTakenLogins(tx, outcomes, existing);
}

async function rejectTakenLogins(tx: ImportTransaction, outcomes: Outcome[], existing: Map<string, StoredProfile>): Promise<Outcome[]> {
  const finals = outcomes.flatMap((o) => (o.plan.kind === 'create' || o.plan.kind === 'update' ? [o.plan.final] : []));
  const moved = finals.filter((f) => foldLogin(f.login) !== foldLogin(existing.get(f.id)?.login ?? ''));
  if (moved.length === 0) return outcomes;
  const owners = await tx.loginOwners([...new Set(moved.map((f) => foldLogin(f.login)))]);
  const taken = loginsTaken(moved, owners, new Map(finals.map((f) => [f.id, f.login])));
  return outcomes.map((o) => {
    const other = o.id === undefined ? undefined : taken.get(o.id);
    return other ? { ...o, plan: { kind: 'reject', errors: [{ field: 'login', code: 'login_taken', message: `login: already used by profile ${other}` }] } } : o;
  });
}

const STATUS: Record<RowPlan['kind'], RowStatus> = { create: 'created', update: 'updated', unchanged: 'unchanged', reject: 'rejected' };

function report(outcomes: Outcome[], dryRun: boolean): ImportReport {
  const order = (p: Position) => ('line' in p ? p.line : p.index);
  const rows = [...outcomes]
    .sort((a, b) => order(a.position) - order(b.position))
    .map(({ position, id, plan }): RowReport => ({
      ...position,
      ...(id !== undefined ? { id } : {}),
      status: STATUS[plan.kind],
      ...(plan.kind === 'update' ? { fields: plan.fields } : {}),
      ...(plan.kind === 'reject' ? { errors: plan.errors } : {}),
    }));
  const summary = { total: rows.length, created: 0, updated: 0, unchanged: 0, rejected: 0 };
  for (const row of rows) summary[row.status]++;
  return { dry_run: dryRun, summary, rows };
}

function auditEvents(outcomes: Outcome[], summary: ImportReport['summary'], call: AdminCall): AuditEvent[] {
  const base = { actor: call.actor, requestId: call.requestId, outcome: 'ok' };
  const changes = outcomes.flatMap((o): AuditEvent[] => {
    if (o.plan.kind === 'create') return [{ ...base, action: 'profile.create', target: o.id, details: { via: 'import' } }];
    if (o.plan.kind === 'update') return [{ ...base, action: 'profile.update', target: o.id, details: { via: 'import', fields: o.plan.fields.join(' ') } }];
    return [];
  });
  const { total, created, updated, unchanged, rejected } = summary;
  return [...changes, { ...base, action: 'profile.import', outcome: rejected > 0 ? 'partial' : 'ok', details: { total, created, updated, unchanged, rejected } }];
}

export function createProfileImport(deps: ProfileImportDeps) {
  return async function importProfiles(input: ImportInput, call: AdminCall, options: ImportOptions = {}): Promise<ImportReport> {
    const records = readInput(input);
    const { accepted, rejected } = validateAll(records, deps.hashSnils);
    const hashed = await hashChangedPasswords(deps, accepted, options);
    try {
      return await deps.store.importTransaction(async (tx) => {
        const outcomes = [...rejected, ...(await planAll(deps, tx, accepted, hashed))];
        const result = report(outcomes, options.dryRun ?? false);
        if (options.dryRun) throw new DryRun(result);
        await tx.upsert(outcomes.flatMap((o) => (o.plan.kind === 'create' || o.plan.kind === 'update' ? [o.plan.final] : [])));
        for (const [reason, ids] of closedProfiles(outcomes.map((o) => o.plan))) await tx.revokeGrants(ids, reason);
        await tx.audit(auditEvents(outcomes, result.summary, call));
        return result;
      });
    } catch (error) {
      if (error instanceof LoginConflictError) throw new Conflict('import: two profiles would end up with one login (swapped logins?); nothing was imported');
      if (!(error instanceof DryRun)) throw error;
      await deps.audit.record({ actor: call.actor, action: 'profile.import', outcome: 'dry_run', requestId: call.requestId, details: { ...error.report.summary } });
      return error.report;
    }
  };
}

export type ProfileImport = ReturnType<typeof createProfileImport>;
