import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { openAdminContext, type AdminContext } from '../admin-deps.js';
import { ADMIN_ACTORS, type AdminCall } from '../admin/admin-call.js';
import { ConfigError, loadConfig, type Env } from '../config/index.js';
import { NotFoundError } from '../errors/not-found.js';
import { OAuthError } from '../errors/oauth-errors.js';
import { migrateToLatest } from '../store/postgres/database.js';
import { UsageError, type CliIo } from './cli-io.js';
import { COMMANDS, type CommandArgs } from './commands.js';
import { runDoctor } from './doctor.js';

/**
 * `esia-broker <command>`: the admin operations offline, against DATABASE_URL or the embedded
 * database, through the same functions as the admin API. Data goes to stdout, messages to
 * stderr. Exit codes: 0 ok, 1 failure, 2 usage, 3 imported with rejected rows, 78 configuration.
 */
export const EXIT = { ok: 0, failure: 1, usage: 2, partial: 3, config: 78 } as const;

export const USAGE = `usage: esia-broker <command> [options]

  migrate                                  bring the database schema up to date
  doctor [--json]                          check the ESIA setup: configuration, certificates, signer,
                                           ESIA reachable, clock skew (docs/going-live.md)
  clients list [--json]                    registered diary frontends
  clients add FILE|-                       register one client (a clients.json entry); prints its secret once
  clients remove CLIENT_ID
  profiles import FILE|- [--format csv|json] [--dry-run] [--json]
                                           upsert diary profiles; rejected rows on stdout
  schools import FILE|- [--format csv|json] [--dry-run] [--json]
                                           upsert the school directory (id, names, municipality, region)
  schools list [--region NN] [--csv]       the school directory
  profiles show PROFILE_ID                 one profile (no SNILS or password hash)
  profiles remove PROFILE_ID
  links list (--esia-oid OID | --profile PROFILE_ID)
  links add OID PROFILE_ID | links remove OID PROFILE_ID
  keys rotate [--now] | keys remove KID    signing keys
  person show|erase (PROFILE_ID | --esia-oid OID)
                                           everything stored about one person (JSON); erasure
  purge                                    delete login/audit events and grants past their retention (a CronJob)
  report logins|completeness|outcomes [--csv] [--region NN] [--municipality NAME] [--school ID] [--class 5-в]
                                           [--role ROLE] [--school-year 2025/2026 [--month 1-12] | --from DATE --to DATE]

Settings come from the environment as for the server (DATABASE_URL, else the embedded database
under DATA_DIR: stop the server first, PGlite is single-process). Exit codes: 0 ok, 1 failure,
2 usage, 3 imported with rejected rows, 78 configuration.
`;

const OPTIONS = {
  json: { type: 'boolean' },
  csv: { type: 'boolean' },
  now: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  format: { type: 'string' },
  region: { type: 'string' },
  school: { type: 'string' },
  municipality: { type: 'string' },
  class: { type: 'string' },
  'school-year': { type: 'string' },
  month: { type: 'string' },
  role: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  'esia-oid': { type: 'string' },
  profile: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function cliActor(): AdminCall {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // A container user without a passwd entry.
  }
  return { actor: ADMIN_ACTORS.cli(user) };
}

function parse(argv: string[]): CommandArgs {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    return { values: values as CommandArgs['values'], positionals };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export async function runCli(argv: string[], io: CliIo, env: Env = process.env): Promise<number> {
  let context: AdminContext | undefined;
  try {
    const args = parse(argv);
    const [group, action] = args.positionals;
    if (args.values.help || group === undefined || group === 'help') {
      (group === undefined && !args.values.help ? io.err : io.out)(USAGE);
      return group === undefined && !args.values.help ? EXIT.usage : EXIT.ok;
    }
    // No database: the doctor checks the ESIA leg, and a refused configuration is its answer.
    if (group === 'doctor' && action === undefined) return await runDoctor(io, env, { json: args.values.json ?? false });
    const name = group === 'migrate' ? 'migrate' : `${group} ${action ?? ''}`.trim();
    const command = COMMANDS[name];
    if (!command && name !== 'migrate') throw new UsageError(`unknown command "${name}"`);
    const config = loadConfig(env);
    if (name === 'migrate') {
      context = await openAdminContext(config, { migrate: false });
      const applied = await migrateToLatest(context.database.db);
      io.out(applied.length > 0 ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
      return EXIT.ok;
    }
    context = await openAdminContext(config);
    return await command!({ ...args, positionals: args.positionals.slice(2) }, context, io, cliActor());
  } catch (error) {
    return fail(error, io);
  } finally {
    await context?.close();
  }
}

function fail(error: unknown, io: CliIo): number {
  if (error instanceof UsageError) {
    io.err(`esia-broker: ${error.message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  if (error instanceof ConfigError) {
    io.err(`esia-broker: ${error.message}\n`);
    return EXIT.config;
  }
  if (error instanceof OAuthError && error.expose) io.err(`esia-broker: ${error.description}\n`);
  else if (error instanceof NotFoundError) io.err(`esia-broker: ${error.message}\n`);
  else io.err(`esia-broker: failed: ${error instanceof Error ? error.message : String(error)}\n`);
  return EXIT.failure;
}
