import type { AdminContext } from '../admin-deps.js';
import type { AdminCall } from '../admin/admin-call.js';
import { toCsv } from '../admin/csv.js';
import { parsePersonRef } from '../admin/people-admin.js';
import type { ImportReport } from '../admin/profile-import.js';
import type { SchoolImportReport } from '../admin/school-import.js';
import { reportNameSchema, runReport } from '../admin/report-runner.js';
import { UsageError, type CliIo } from './cli-io.js';

/** Each `esia-broker` command: the same admin functions the API calls, printed for scripts. */
export interface CommandArgs {
  values: Partial<Record<'json' | 'csv' | 'now' | 'dry-run' | 'help', boolean> & Record<'format' | 'region' | 'municipality' | 'school' | 'class' | 'role' | 'school-year' | 'month' | 'from' | 'to' | 'esia-oid' | 'profile', string>>;
  positionals: string[];
}

type Command = (args: CommandArgs, ctx: AdminContext, io: CliIo, call: AdminCall) => Promise<number>;

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

function one(args: CommandArgs, what: string): string {
  const [value, extra] = args.positionals;
  if (value === undefined || extra !== undefined) throw new UsageError(`expected exactly one ${what}`);
  return value;
}

function two(args: CommandArgs, what: string): [string, string] {
  const [a, b, extra] = args.positionals;
  if (a === undefined || b === undefined || extra !== undefined) throw new UsageError(`expected ${what}`);
  return [a, b];
}

/** `person show|erase PROFILE_ID` or `--esia-oid OID`. */
function personRef(args: CommandArgs) {
  const oid = args.values['esia-oid'];
  if (oid !== undefined && args.positionals.length === 0) return parsePersonRef('esia', oid);
  if (oid !== undefined) throw new UsageError('give a PROFILE_ID or --esia-oid, not both');
  return parsePersonRef('profile', one(args, 'PROFILE_ID (or --esia-oid OID)'));
}

function importFormat(args: CommandArgs, file: string, text: string): 'csv' | 'json' {
  const given = args.values.format;
  if (given !== undefined && given !== 'csv' && given !== 'json') throw new UsageError('--format must be csv or json');
  if (given) return given;
  if (/\.json$/i.test(file)) return 'json';
  if (/\.csv$/i.test(file)) return 'csv';
  return /^\s*[[{]/.test(text) ? 'json' : 'csv';
}

function jsonOf(file: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new UsageError(`${file}: not JSON`);
  }
}

/** The import reports of profiles and schools share this shape. */
type AnyImportReport = Pick<ImportReport, 'dry_run' | 'summary'> & { rows: ReadonlyArray<ImportReport['rows'][number] | SchoolImportReport['rows'][number]> };

function printImport(report: AnyImportReport, args: CommandArgs, io: CliIo): number {
  const { created, updated, unchanged, rejected, total } = report.summary;
  if (args.values.json) io.out(json(report));
  else {
    for (const row of report.rows.filter((r) => r.status === 'rejected')) {
      const where = 'line' in row ? `line ${row.line}` : `item ${row.index}`;
      io.out(`${where}\t${row.id ?? ''}\t${(row.errors ?? []).map((e) => e.message).join('; ')}\n`);
    }
  }
  io.err(`${report.dry_run ? 'dry run, nothing stored: ' : ''}${total} rows: ${created} created, ${updated} updated, ${unchanged} unchanged, ${rejected} rejected\n`);
  return rejected > 0 ? 3 : 0;
}

export const COMMANDS: Record<string, Command> = {
  'clients list': async (args, ctx, io) => {
    const clients = await ctx.clientAdmin.list();
    if (args.values.json) io.out(json(clients));
    else for (const c of clients) io.out(`${c.client_id}\t${c.token_endpoint_auth_method}\t${c.regions.join(' ') || '-'}\t${c.client_name}\n`);
    return 0;
  },
  'clients add': async (args, ctx, io, call) => {
    const file = one(args, 'FILE (a clients.json entry, or - for stdin)');
    let entry: unknown;
    try {
      entry = JSON.parse(await io.read(file));
    } catch (error) {
      throw new UsageError(`${file}: not JSON (${(error as Error).message})`);
    }
    const created = await ctx.clientAdmin.create(entry, call);
    io.out(json(created));
    io.err(`client ${created.client.client_id} registered${created.client_secret ? '; its secret is printed once, above' : ''}\n`);
    return 0;
  },
  'clients remove': async (args, ctx, io, call) => {
    const id = one(args, 'CLIENT_ID');
    await ctx.clientAdmin.remove(id, call);
    io.err(`client ${id} removed\n`);
    return 0;
  },
  'profiles import': async (args, ctx, io, call) => {
    const file = one(args, 'FILE (or - for stdin)');
    const text = await io.read(file);
    const format = importFormat(args, file, text);
    const input = format === 'csv' ? ({ format, text } as const) : ({ format, data: jsonOf(file, text) } as const);
    return printImport(await ctx.profileImport(input, call, { dryRun: args.values['dry-run'] ?? false }), args, io);
  },
  'schools import': async (args, ctx, io, call) => {
    const file = one(args, 'FILE (or - for stdin)');
    const text = await io.read(file);
    const format = importFormat(args, file, text);
    return printImport(await ctx.schoolImport(format === 'csv' ? { format, text } : { format, data: jsonOf(file, text) }, call, { dryRun: args.values['dry-run'] ?? false }), args, io);
  },
  'schools list': async (args, ctx, io) => {
    if (args.positionals.length > 0) throw new UsageError('schools list takes options only');
    const region = args.values.region;
    if (region !== undefined && !/^\d{2}$/.test(region)) throw new UsageError('--region must be a two-digit region code');
    const schools = (await ctx.schools.list(region)).map((s) => ({ id: s.id, full_name: s.fullName, short_name: s.shortName, municipality: s.municipality, region: s.region }));
    io.out(args.values.csv ? toCsv(['id', 'full_name', 'short_name', 'municipality', 'region'], schools) : json(schools));
    return 0;
  },
  'profiles show': async (args, ctx, io, call) => {
    io.out(json(await ctx.profileAdmin.get(one(args, 'PROFILE_ID'), call)));
    return 0;
  },
  'profiles remove': async (args, ctx, io, call) => {
    const id = one(args, 'PROFILE_ID');
    const { unlinked } = await ctx.profileAdmin.remove(id, call);
    io.err(`profile ${id} removed${unlinked.length ? ` (unlinked from ${unlinked.length} ESIA account(s))` : ''}\n`);
    return 0;
  },
  'links list': async (args, ctx, io, call) => {
    const query = { esia_oid: args.values['esia-oid'], profile_id: args.values.profile };
    io.out(json((await ctx.linkAdmin.list(query, call)).links));
    return 0;
  },
  'links add': async (args, ctx, io, call) => {
    const [oid, profileId] = two(args, 'OID PROFILE_ID');
    const { created, link } = await ctx.linkAdmin.create({ esia_oid: oid, profile_id: profileId }, call);
    io.out(json(link));
    io.err(created ? 'linked\n' : 'already linked\n');
    return 0;
  },
  'links remove': async (args, ctx, io, call) => {
    const [oid, profileId] = two(args, 'OID PROFILE_ID');
    await ctx.linkAdmin.remove({ esia_oid: oid, profile_id: profileId }, call);
    io.err('unlinked\n');
    return 0;
  },
  'person show': async (args, ctx, io, call) => {
    io.out(json(await ctx.peopleAdmin.show(personRef(args), call)));
    return 0;
  },
  'person erase': async (args, ctx, io, call) => {
    const result = await ctx.peopleAdmin.erase(personRef(args), call);
    io.out(json(result));
    io.err(`erased: ${result.profiles} profile(s) blanked, ${result.links} link(s), ${result.grants} grant(s), ${result.sessions} session(s); ${result.audit_events} audit event(s) pseudonymised\n`);
    return 0;
  },
  purge: async (args, ctx, io, call) => {
    if (args.positionals.length > 0) throw new UsageError('purge takes no arguments');
    const report = await ctx.retention.purge(call);
    io.out(json(report));
    if (!report.ran) io.err('another purge is running (another replica or job); nothing done\n');
    return 0;
  },
  'keys rotate': async (args, ctx, io, call) => {
    if (args.positionals.length > 0) throw new UsageError('keys rotate takes no arguments');
    const delay = args.values.now ? 0 : ctx.config.oidc.keyActivationDelaySeconds;
    const kids = await ctx.keys.rotate({ activationDelaySeconds: delay });
    await ctx.audit.record({ actor: call.actor, action: 'keys.rotate', outcome: 'ok', details: { kids: kids.join(' ') } });
    io.out(kids.map((kid) => `${kid}\n`).join(''));
    io.err(`new keys published now, signing from ${new Date(Date.now() + delay * 1000).toISOString()}\n`);
    return 0;
  },
  'keys remove': async (args, ctx, io, call) => {
    const kid = one(args, 'KID');
    await ctx.keys.remove(kid);
    await ctx.audit.record({ actor: call.actor, action: 'keys.remove', target: kid, outcome: 'ok' });
    io.err(`removed ${kid} from JWKS\n`);
    return 0;
  },
};

for (const name of ['logins', 'completeness', 'outcomes'] as const) {
  COMMANDS[`report ${name}`] = async (args, ctx, io, call) => {
    if (args.positionals.length > 0) throw new UsageError(`report ${name} takes options only`);
    const { region, municipality, school, class: className, role, month, from, to } = args.values;
    const filter = { region, municipality, school, class: className, role, school_year: args.values['school-year'], month, from, to };
    const result = await runReport({ queries: ctx.adminQueries, audit: ctx.audit, loginEventsKeptDays: ctx.config.admin.retention.loginEventsDays }, reportNameSchema.parse(name), filter, call);
    // stdout stays the rows (JSON or CSV, for pipes); the window they stand for goes to stderr.
    io.err(`covers: ${JSON.stringify(result.covers)}\n`);
    io.out(args.values.csv ? toCsv(result.columns as never[], result.rows as never[]) : json(result.rows));
    return 0;
  };
}
