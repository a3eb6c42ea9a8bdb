import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { runCli } from '../../../src/cli/run.js';
import type { CliIo } from '../../../src/cli/cli-io.js';
import { KNOWN_PASSWORD, KNOWN_SNILS } from '../../fixtures/personal-data.js';
import { createTestDatabaseUrl } from '../../helpers/backends.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');

/** Runs the command in-process with captured streams, as a script would see them. */
async function cli(env: Record<string, string | undefined>, argv: string[], stdin = '') {
  let out = '';
  let err = '';
  const io: CliIo = { out: (s) => void (out += s), err: (s) => void (err += s), read: async (path) => (path === '-' ? stdin : (await import('node:fs/promises')).readFile(path, 'utf8')) };
  const code = await runCli(argv, io, env);
  return { code, out, err };
}

/** The real launcher (bin/esia-broker.js → tsx → src/cli), as `npx esia-broker` runs it. */
function spawnCli(env: Record<string, string | undefined>, argv: string[], stdin = ''): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'esia-broker.js'), ...argv], { env: { PATH: process.env['PATH'], ...env }, cwd: tmpdir() });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
    child.stdin.end(stdin);
  });
}

t.test('esia-broker CLI', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'esia-broker-cli-'));
  const database = process.env['DATABASE_URL'] ? await createTestDatabaseUrl() : undefined;
  t.teardown(async () => {
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const env = {
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    CONFIG_DIR: join(ROOT, 'config'),
    DATABASE_URL: database?.url,
    MIGRATE_ON_START: 'false',
    COOKIE_SECRET: 'test-cookie-secret-0123456789abcdef',
    SNILS_HMAC_KEY: 'test-snils-hmac-key-0123456789abcdef',
    KEY_ENCRYPTION_KEY: 'test-key-encryption-key-0123456789',
  };

  t.test('usage and configuration errors have their exit codes', async (t) => {
    const none = await cli(env, []);
    t.equal(none.code, 2);
    t.match(none.err, /^usage: esia-broker <command>/);
    t.equal(none.out, '', 'nothing on stdout');
    t.match(await cli(env, ['frobnicate']), { code: 2, err: /unknown command "frobnicate"/ });
    t.match(await cli(env, ['report', 'logins', '--bogus']), { code: 2, err: /Unknown option '--bogus'/ });
    t.match(await cli(env, ['clients', 'remove']), { code: 2, err: /expected exactly one CLIENT_ID/ });
    t.match(await cli({ ...env, PORT: 'eighty' }, ['clients', 'list']), { code: 78, err: /PORT: must be a number/ });
    t.match(await cli(env, ['help']), { code: 0, out: /^usage:/ });
  });

  t.test('migrate, then profiles import with rejected rows on stdout', async (t) => {
    t.match(await cli(env, ['migrate']), { code: 0, out: /applied: 0001_foundation.*0004_directory_import/ });
    t.match(await cli(env, ['migrate']), { code: 0, out: 'database is up to date\n' });
    const file = join(dataDir, 'people.csv');
    writeFileSync(file, `id,login,last_name,first_name,roles,school_ids,activated,region,snils,password\ncli-1,cli.one,Котова,Ирина,teacher,school-1,true,38,${KNOWN_SNILS},${KNOWN_PASSWORD}\ncli-2,cli.two,Котов,Иван,janitor,school-1,true,38,,\ncli-3,cli.three,Котов,Пётр,parent,school-1,false,38,,\n`);
    const run = await cli(env, ['profiles', 'import', file]);
    t.equal(run.code, 3, 'imported, with rejected rows');
    t.equal(run.out, 'line 3\tcli-2\troles: unknown role "janitor"; known: student, parent, teacher, staff, admin\n');
    t.equal(run.err, '3 rows: 2 created, 0 updated, 0 unchanged, 1 rejected\n');
    const again = await cli(env, ['profiles', 'import', '--json', file]);
    t.match(JSON.parse(again.out), { summary: { unchanged: 2, rejected: 1 } });
    const clean = await cli(env, ['profiles', 'import', '--format', 'json', '-'], JSON.stringify([{ id: 'cli-4', login: 'cli.four', last_name: 'Л', first_name: 'М', roles: ['student'], region: '38' }]));
    t.match(clean, { code: 0, out: '', err: '1 rows: 1 created, 0 updated, 0 unchanged, 0 rejected\n' });
    t.match(await cli(env, ['profiles', 'import', join(dataDir, 'missing.csv')]), { code: 1, err: /ENOENT/ });
    t.match(await cli(env, ['profiles', 'import', '-'], 'login\nx\n'), { code: 1, err: 'esia-broker: import: the header has no id column\n' });
  });

  t.test('schools import and list', async (t) => {
    const file = join(dataDir, 'schools.csv');
    writeFileSync(file, 'id;full_name;short_name;municipality;region\n38-0007;МБОУ «Средняя школа № 7»;СОШ № 7;г. Иркутск;38\n;Без кода;Без кода;г. Иркутск;38\n');
    const run = await cli(env, ['schools', 'import', file]);
    t.equal(run.code, 3, 'imported, with a rejected row');
    t.equal(run.out, 'line 3\t\tid: is required\n');
    t.equal(run.err, '2 rows: 1 created, 0 updated, 0 unchanged, 1 rejected\n');
    t.match(await cli(env, ['schools', 'import', '--dry-run', '-'], JSON.stringify([{ id: '38-0009', full_name: 'Школа № 9', short_name: 'Школа № 9', municipality: 'г. Иркутск', region: '38' }])), { code: 0, err: 'dry run, nothing stored: 1 rows: 1 created, 0 updated, 0 unchanged, 0 rejected\n' });
    t.same(JSON.parse((await cli(env, ['schools', 'list', '--region', '38'])).out), [{ id: '38-0007', full_name: 'МБОУ «Средняя школа № 7»', short_name: 'СОШ № 7', municipality: 'г. Иркутск', region: '38' }]);
    t.match(await cli(env, ['schools', 'list', '--region', 'x']), { code: 2, err: /--region must be a two-digit region code/ });
  });

  t.test('profiles show and links, as the API shows them', async (t) => {
    const shown = await cli(env, ['profiles', 'show', 'cli-1']);
    t.match(JSON.parse(shown.out), { profile: { id: 'cli-1', has_snils: true, snils_last4: '4595', has_password: true }, link: null });
    t.notMatch(shown.out, /hmac|scrypt|digest/);
    t.match(await cli(env, ['links', 'add', '1000000301', 'cli-1']), { code: 0, err: 'linked\n' });
    t.match(JSON.parse((await cli(env, ['links', 'list', '--esia-oid', '1000000301'])).out), [{ profile_id: 'cli-1', method: 'admin' }]);
    t.match(await cli(env, ['links', 'add', '1000000302', 'cli-1']), { code: 1, err: /linked to another ESIA account/ });
    t.match(await cli(env, ['links', 'remove', '1000000301', 'cli-1']), { code: 0, err: 'unlinked\n' });
    t.match(await cli(env, ['profiles', 'show', 'nobody']), { code: 1, err: 'esia-broker: profile nobody not found\n' });
  });

  t.test('reports as JSON or CSV with the exact header', async (t) => {
    const csv = await cli(env, ['report', 'completeness', '--csv', '--region', '38']);
    t.equal(csv.code, 0);
    t.equal(csv.out.split('\r\n')[0], '\uFEFFprofile_id,full_name,roles,classes,schools,school_ids,region,has_snils,has_birth_date,activated');
    const records = parse(csv.out, { columns: true, bom: true }) as Array<Record<string, string>>;
    t.same(records.map((r) => [r['profile_id'], r['has_snils'], r['activated']]), [['cli-3', 'no', 'no'], ['cli-1', 'yes', 'yes'], ['cli-4', 'no', 'no']]);
    const logins = JSON.parse((await cli(env, ['report', 'logins', '--role', 'teacher'])).out) as Array<Record<string, unknown>>;
    t.same(logins.map((r) => [r['profile_id'], r['esia_login']]), [['cli-1', 'no']]);
    t.match(await cli(env, ['report', 'logins', '--from', 'yesterday']), { code: 1, err: /from: must be yyyy-mm-dd/ });
  });

  t.test('clients add prints the secret once; list; remove; keys rotate', async (t) => {
    const entry = join(dataDir, 'client.json');
    writeFileSync(entry, JSON.stringify({ client_id: 'cli-diary', client_name: 'Дневник', redirect_uris: ['https://cli.example/cb'], regions: ['38'] }));
    const added = await cli(env, ['clients', 'add', entry]);
    t.equal(added.code, 0, added.err);
    t.ok((JSON.parse(added.out) as { client_secret: string }).client_secret.length >= 32);
    t.match((await cli(env, ['clients', 'list'])).out, /^cli-diary\tclient_secret_basic\t38\tДневник$/m);
    t.match(await cli(env, ['clients', 'add', entry]), { code: 1, err: /already registered/ });
    t.match(await cli(env, ['clients', 'remove', 'cli-diary']), { code: 0 });
    t.match(await cli(env, ['clients', 'remove', 'cli-diary']), { code: 1, err: /client cli-diary not found/ });
    const rotated = await cli(env, ['keys', 'rotate', '--now']);
    t.equal(rotated.code, 0, rotated.err);
    t.ok(rotated.out.trim().split('\n').length >= 1, 'new kids on stdout');
  });

  t.test('every change is audited with the CLI actor', async (t) => {
    const { out } = await cli(env, ['report', 'outcomes']);
    t.same(JSON.parse(out), []);
    const { openAdminContext } = await import('../../../src/admin-deps.js');
    const { loadConfig } = await import('../../../src/config/index.js');
    const ctx = await openAdminContext(loadConfig(env));
    try {
      const { events } = await ctx.adminQueries.audit({ limit: 500 });
      const actions = new Set(events.filter((e) => e.actor.startsWith('admin:cli:')).map((e) => e.action));
      for (const action of ['profile.import', 'profile.create', 'profile.read', 'link.create', 'link.delete', 'client.create', 'client.delete', 'keys.rotate', 'report.read']) t.ok(actions.has(action), action);
    } finally {
      await ctx.close();
    }
  });

  t.test('the launcher runs the TypeScript source with the same exit codes and streams', async (t) => {
    const usage = await spawnCli(env, ['nope']);
    t.equal(usage.code, 2);
    t.match(usage.err, /unknown command "nope"/);
    const report = await spawnCli(env, ['report', 'completeness', '--csv', '--role', 'parent']);
    t.equal(report.code, 0, report.err);
    t.equal(report.out, '\uFEFFprofile_id,full_name,roles,classes,schools,school_ids,region,has_snils,has_birth_date,activated\r\ncli-3,Котов Пётр,parent,,организация school-1,school-1,38,no,no,no\r\n');
  });
});
