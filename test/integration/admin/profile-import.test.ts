import t from 'tap';
import { KNOWN_PASSWORD, KNOWN_SNILS, KNOWN_SNILS_DIGITS } from '../../fixtures/personal-data.js';
import { newSnils } from '../../helpers/accounts.js';
import { adminClient, csvFile } from '../../helpers/admin.js';
import { startBroker } from '../../helpers/broker.js';

type Report = {
  dry_run: boolean;
  summary: Record<string, number>;
  rows: Array<{ line?: number; index?: number; id?: string; status: string; fields?: string[]; errors?: Array<{ field?: string; code: string; message: string }> }>;
};

const HEADER = ['id', 'login', 'last_name', 'first_name', 'middle_name', 'birth_date', 'snils', 'email', 'email_confirmed', 'roles', 'school_ids', 'activated', 'region', 'password'];
const badChecksum = (snils: string) => snils.slice(0, -2) + String((Number(snils.slice(-2)) + 1) % 100).padStart(2, '0');

t.test('directory import through the admin API', async (t) => {
  const broker = await startBroker();
  t.teardown(() => broker.close());
  const { call } = adminClient(broker.url);
  const { db } = broker.deps.database;
  const importCsv = (text: string, query = '') => call<Report>('POST', `/admin/profiles/import${query}`, { text });

  t.test('auth is required', async (t) => {
    for (const [method, path] of [['POST', '/admin/profiles/import'], ['GET', '/admin/profiles/x'], ['DELETE', '/admin/profiles/x']] as const) {
      const options = method === 'POST' ? { text: 'id\nx\n' } : {};
      t.equal((await call(method, path, { ...options, token: null })).status, 401, `${method} ${path} without a token`);
      t.equal((await call(method, path, { ...options, token: 'w'.repeat(32) })).status, 401, `${method} ${path} with a wrong token`);
    }
    t.equal(await db.selectFrom('profiles').select('id').where('id', '=', 'x').executeTakeFirst(), undefined, 'nothing imported without the token');
  });

  t.test('good rows are stored, bad rows reported by line', async (t) => {
    const good = newSnils();
    const text = csvFile(HEADER, [
      ['imp-1', 'ivanova.m', 'Иванова', 'Мария', 'Петровна', '14.03.2009', KNOWN_SNILS, 'm@example.ru', 'да', 'ученик', 'school-1', '1', '52', KNOWN_PASSWORD],
      ['imp-2', 'petrov.a', 'Петров', 'Алексей', '', '1980-02-29', good, '', '', 'parent teacher', 'school-1|school-2', 'true', '5', ''],
      ['imp-3', 'bad.snils', 'Сидоров', 'Иван', '', '', badChecksum(newSnils()), '', '', 'parent', 'school-1', 'true', '52', ''],
      ['imp-4', 'bad.date', 'Сидоров', 'Пётр', '', '1981-02-29', '', '', '', 'parent', 'school-1', 'true', '52', ''],
      ['imp-5', 'bad.role', 'Сидоров', 'Олег', '', '', '', '', '', 'director', 'school-1', 'true', '52', ''],
      ['imp-6', '', 'Безлогинов', 'Иван', '', '', '', '', '', 'parent', 'school-1', 'true', '52', ''],
      ['imp-7', 'IVANOVA.M', 'Иванова', 'Анна', '', '', '', '', '', 'parent', 'school-1', 'true', '52', ''],
      ['imp-1', 'other.login', 'Иванова', 'Мария', '', '', '', '', '', 'parent', 'school-1', 'true', '52', ''],
      ['imp-8', 'multi.line', 'Многострочная', 'Анна\nМария', '', '', '', '', '', 'parent', 'school-1', 'true', '52', ''],
      ['imp-9', 'after.multi', 'Последняя', 'Вера', '', '', '', '', '', 'staff', '', 'false', '52', ''],
    ]);
    const response = await importCsv(`\uFEFF${text}`);
    t.equal(response.status, 200, response.text);
    const { summary, rows } = response.body;
    t.same(summary, { total: 10, created: 3, updated: 0, unchanged: 0, rejected: 7 });
    const byLine = Object.fromEntries(rows.map((r) => [r.line, r]));
    t.match(byLine[2], { id: 'imp-1', status: 'created' });
    t.match(byLine[3], { id: 'imp-2', status: 'created' });
    t.match(byLine[4], { id: 'imp-3', status: 'rejected', errors: [{ field: 'snils', code: 'bad_snils_checksum' }] });
    t.match(byLine[5], { id: 'imp-4', status: 'rejected', errors: [{ field: 'birth_date', code: 'bad_date' }] });
    t.match(byLine[6], { id: 'imp-5', status: 'rejected', errors: [{ field: 'roles', code: 'unknown_role', message: /unknown role "director"/ }] });
    t.match(byLine[7], { id: 'imp-6', status: 'rejected', errors: [{ field: 'login', code: 'missing_field' }] });
    t.match(byLine[8], { id: 'imp-7', status: 'rejected', errors: [{ field: 'login', code: 'duplicate_login', message: 'login: also on line 2' }] });
    t.match(byLine[9], { id: 'imp-1', status: 'rejected', errors: [{ field: 'id', code: 'duplicate_id', message: 'id: also on line 2' }] });
    t.match(byLine[10], { id: 'imp-8', status: 'rejected', errors: [{ field: 'first_name', code: 'bad_characters' }] }, 'a quoted field spanning lines: the record is reported where it starts (a line break is no part of a name)');
    t.match(byLine[12], { id: 'imp-9', status: 'created' });
    t.notMatch(response.text, new RegExp(`${KNOWN_SNILS_DIGITS.slice(0, 9)}|${KNOWN_PASSWORD}|14\\.03\\.2009`), 'the report never echoes personal data');

    const stored = await db.selectFrom('profiles').selectAll().where('id', 'in', ['imp-1', 'imp-2']).orderBy('id').execute();
    t.equal(stored.length, 2);
    t.match(stored[0], { login: 'ivanova.m', birth_date: '2009-03-14', snils_last4: '4595', email_confirmed: true, roles: ['student'], activated: true, region: '52' });
    t.match(stored[0]!.snils_hmac, /^[0-9a-f]{64}$/, 'SNILS stored only as its HMAC');
    t.match(stored[0]!.password_hash, /^scrypt\$/);
    t.match(stored[1], { middle_name: null, birth_date: '1980-02-29', email: null, roles: ['parent', 'teacher'], school_ids: ['school-1', 'school-2'], region: '05', password_hash: null });
    t.ok(await broker.deps.directory.authenticate('ivanova.m', KNOWN_PASSWORD), 'the imported temporary password works for manual linking');
  });

  t.test('GET shows the profile without SNILS or password hashes; audited', async (t) => {
    const response = await call('GET', '/admin/profiles/imp-1');
    t.equal(response.status, 200);
    t.match(response.body, { profile: { id: 'imp-1', has_snils: true, snils_last4: '4595', has_password: true, roles: ['student'] }, link: null });
    t.notMatch(response.text, /snils_hmac|password_hash|password_digest|scrypt/);
    t.equal((await call('GET', '/admin/profiles/nobody')).status, 404);
    t.match((await call('GET', '/admin/profiles/bad%20id')).body, { error: 'invalid_request', error_description: 'id: must be a profile id' });
    const audit = await call<{ events: Array<{ actor: string; action: string; request_id: string }> }>('GET', '/admin/audit?target=imp-1&action=profile.read');
    t.equal(audit.body.events[0]?.actor, 'admin:api');
    t.equal(audit.body.events[0]?.request_id, response.headers.get('x-request-id'));
  });

  t.test('re-import: unchanged rows stay, changed columns are named, passwords re-hashed only when changed', async (t) => {
    const before = await db.selectFrom('profiles').select(['password_hash', 'updated_at']).where('id', '=', 'imp-1').executeTakeFirstOrThrow();
    const same = await importCsv(csvFile(HEADER, [['imp-1', 'ivanova.m', 'Иванова', 'Мария', 'Петровна', '2009-03-14', KNOWN_SNILS, 'm@example.ru', 'true', 'student', 'school-1', 'да', '52', KNOWN_PASSWORD]], ','));
    t.same(same.body.summary, { total: 1, created: 0, updated: 0, unchanged: 1, rejected: 0 }, 'same data written differently (comma, ISO date, words) is unchanged');
    const after = await db.selectFrom('profiles').select(['password_hash', 'updated_at']).where('id', '=', 'imp-1').executeTakeFirstOrThrow();
    t.equal(after.password_hash, before.password_hash, 'the password was not hashed again');

    const partial = await importCsv('id;school_ids;password\nimp-1;school-1 school-9;New-Temporary-7\nimp-2;school-2;\n');
    t.match(partial.body.rows, [{ id: 'imp-1', status: 'updated', fields: ['school_ids', 'password'] }, { id: 'imp-2', status: 'updated', fields: ['school_ids'] }]);
    t.ok(await broker.deps.directory.authenticate('ivanova.m', 'New-Temporary-7'));
    const kept = await db.selectFrom('profiles').select(['last_name', 'snils_last4']).where('id', '=', 'imp-1').executeTakeFirstOrThrow();
    t.same(kept, { last_name: 'Иванова', snils_last4: '4595' }, 'columns the file does not carry are kept');

    const cleared = await importCsv('id,snils,email\nimp-1,,\n');
    t.match(cleared.body.rows, [{ status: 'updated', fields: ['snils', 'email'] }]);
    t.match(await db.selectFrom('profiles').select(['snils_hmac', 'snils_last4', 'email']).where('id', '=', 'imp-1').executeTakeFirst(), { snils_hmac: null, snils_last4: null, email: null });
  });

  t.test('a NUL, control or bidi character rejects its row, named by line; the rest is stored', async (t) => {
    const text = csvFile(HEADER, [
      ['ctl-1', 'ctl.one', 'Ива\u0000нов', 'Иван', '', '', '', '', '', 'parent', 'school-1', 'true', '52', ''],
      ['ctl-2', 'ctl.two', 'Иванов', 'Ив\u202Eан', '', '', '', '', '', 'parent', 'school-1', 'true', '52', ''],
      ['ctl-3', 'ctl.three', 'Иванов', 'Иван', 'Пет\u2066рович', '', '', '', '', 'parent', 'school-1', 'true', '52', ''],
      ['ctl-4', 'ctl.four', 'Иванов', 'Иван', '', '', '', 'a\u0000@example.ru', '', 'parent', 'school-1', 'true', '52', 'pass\u0000word'],
      ['ctl-5', 'ctl.five', 'Иванов\u0085', 'Иван', '', '', '', '', '', 'parent', 'school-1', 'true', '52', ''],
      ['ctl-6', 'ctl.six', 'Иванова', 'Ирина', '', '', '', '', '', 'parent', 'school-1', 'true', '52', ''],
    ]);
    const response = await importCsv(text);
    t.equal(response.status, 200, response.text);
    t.same(response.body.summary, { total: 6, created: 1, updated: 0, unchanged: 0, rejected: 5 });
    t.match(response.body.rows, [
      { line: 2, id: 'ctl-1', status: 'rejected', errors: [{ field: 'last_name', code: 'bad_characters', message: /control characters/ }] },
      { line: 3, id: 'ctl-2', status: 'rejected', errors: [{ field: 'first_name', code: 'bad_characters', message: /text-direction/ }] },
      { line: 4, id: 'ctl-3', status: 'rejected', errors: [{ field: 'middle_name', code: 'bad_characters' }] },
      { line: 5, id: 'ctl-4', status: 'rejected', errors: [{ field: 'email', code: 'bad_characters' }, { field: 'password', code: 'bad_characters' }] },
      { line: 6, id: 'ctl-5', status: 'rejected', errors: [{ field: 'last_name', code: 'bad_characters' }] },
      { line: 7, id: 'ctl-6', status: 'created' },
    ]);
    const json = await call<Report>('POST', '/admin/profiles/import', {
      json: [{ id: 'ctl-7', login: 'ctl.seven', last_name: 'Жуков\u0000', first_name: 'Олег', roles: ['parent'], region: '38' }, { id: 'ctl-8', login: 'ctl.eight', last_name: 'Жуков', first_name: 'Олег', roles: ['parent', 'te\u0000acher'], school_ids: ['s\u0000'], region: '38' }],
    });
    t.equal(json.status, 200, json.text);
    t.match(json.body.rows, [
      { index: 0, id: 'ctl-7', status: 'rejected', errors: [{ field: 'last_name', code: 'bad_characters' }] },
      { index: 1, id: 'ctl-8', status: 'rejected' },
    ]);
    const surrogate = await call<Report>('POST', '/admin/profiles/import', { text: '[{"id":"ctl-9","login":"ctl.nine","last_name":"\\ud800","first_name":"A","roles":["parent"],"region":"38"}]', contentType: 'application/json' });
    t.match(surrogate.body.rows, [{ index: 0, status: 'rejected', errors: [{ field: 'last_name', code: 'bad_characters', message: /Unicode/ }] }]);
    t.same((await db.selectFrom('profiles').select('id').where('id', 'like', 'ctl-%').execute()).map((r) => r.id), ['ctl-6']);
  });

  t.test('JSON array import, with per-item problems', async (t) => {
    const response = await call<Report>('POST', '/admin/profiles/import', {
      json: [
        { id: 'json-1', login: 'json.one', last_name: 'Жукова', first_name: 'Ольга', roles: ['teacher'], school_ids: ['school-3'], activated: true, region: '38', birth_date: null },
        { id: 'json-2', login: 'json.two', last_name: 'Жуков', first_name: 'Олег', roles: 'parent', region: 38, extra: 1 },
        'not an object',
      ],
    });
    t.equal(response.status, 200);
    t.match(response.body.rows, [
      { index: 0, id: 'json-1', status: 'created' },
      { index: 1, status: 'rejected', errors: [{ code: 'unknown_field' }] },
      { index: 2, status: 'rejected', errors: [{ code: 'not_an_object' }] },
    ]);
  });

  t.test('fatal problems store nothing', async (t) => {
    const count = async () => Number((await db.selectFrom('profiles').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const before = await count();
    const unknown = await importCsv('id;login;surname\nf-1;f.one;Фамилия\n');
    t.equal(unknown.status, 400);
    t.match(unknown.body, { error: 'invalid_request', error_description: /unknown column "surname" \(column 3\)/ });
    const noId = await importCsv('login;last_name\nf.one;X\n');
    t.match(noId.body, { error_description: 'import: the header has no id column' });
    const broken = await importCsv('id;login\nf-1;"f.one\nf-2;f.two\n');
    t.match(broken.body, { error_description: /not valid CSV \(CSV_QUOTE_NOT_CLOSED/ });
    t.match((await importCsv('')).body, { error_description: /empty/ });
    t.match((await call('POST', '/admin/profiles/import', { json: { not: 'a list' } })).body, { error_description: /expected a JSON array/ });
    t.match((await call('POST', '/admin/profiles/import?dry_run=maybe', { text: 'id\nx\n' })).body, { error_description: /dry_run/ });

    // Swapping two logins in one file would break the unique index mid-way: refused whole.
    await importCsv(csvFile(HEADER.slice(0, 4).concat(['roles', 'region']), [['sw-1', 'swap.a', 'А', 'А', 'parent', '52'], ['sw-2', 'swap.b', 'Б', 'Б', 'parent', '52']]));
    const mid = await count();
    const swap = await importCsv(csvFile(['id', 'login', 'last_name'], [['sw-3', 'swap.c', 'В'], ['sw-1', 'swap.b', 'А'], ['sw-2', 'swap.a', 'Б']]));
    t.equal(swap.status, 409, swap.text);
    t.match(swap.body, { error: 'conflict' });
    t.equal(await count(), mid, 'not even the good new row was stored');
    t.equal(mid, before + 2);
  });

  t.test('a login held by a profile outside the file is refused for that row only', async (t) => {
    const response = await importCsv(csvFile(['id', 'login', 'last_name', 'first_name', 'roles', 'region'], [['taker', 'PETROV.A', 'Х', 'Х', 'parent', '52'], ['fine', 'fine.login', 'Y', 'Y', 'parent', '52']]));
    t.match(response.body.rows, [{ id: 'taker', status: 'rejected', errors: [{ code: 'login_taken', message: 'login: already used by profile imp-2' }] }, { id: 'fine', status: 'created' }]);
  });

  t.test('dry run reports without storing', async (t) => {
    const response = await importCsv(csvFile(['id', 'login', 'last_name', 'first_name', 'roles', 'region'], [['dry-1', 'dry.one', 'Д', 'Д', 'parent', '52']]), '?dry_run=true');
    t.match(response.body, { dry_run: true, summary: { created: 1 } });
    t.equal(await db.selectFrom('profiles').select('id').where('id', '=', 'dry-1').executeTakeFirst(), undefined);
  });

  t.test('delete removes the profile and its links, audited', async (t) => {
    await db.insertInto('account_links').values({ esia_oid: '1000000777', profile_id: 'imp-2', method: 'snils' }).execute();
    const response = await call('DELETE', '/admin/profiles/imp-2');
    t.equal(response.status, 200);
    t.same(response.body, { unlinked: ['1000000777'] });
    t.equal((await call('GET', '/admin/profiles/imp-2')).status, 404);
    t.equal((await call('DELETE', '/admin/profiles/imp-2')).status, 404);
    const audit = await call<{ events: Array<{ action: string; actor: string; details: Record<string, unknown> }> }>('GET', '/admin/audit?target=imp-2&limit=3');
    t.match(audit.body.events.slice(0, 2), [{ action: 'profile.delete', actor: 'admin:api', details: { links: 1 } }, { action: 'link.delete', details: { esiaOid: '1000000777', cause: 'profile.delete' } }]);
  });

  t.test('the audit trail holds no SNILS or password', async (t) => {
    const rows = await db.selectFrom('audit_events').selectAll().execute();
    const dump = JSON.stringify(rows);
    t.ok(rows.some((r) => r.action === 'profile.import'));
    t.ok(rows.some((r) => r.action === 'profile.update' && String((r.details as Record<string, unknown>)['fields']).includes('password')));
    for (const secret of [KNOWN_SNILS_DIGITS, KNOWN_SNILS, KNOWN_PASSWORD, 'New-Temporary-7']) t.notOk(dump.includes(secret), 'no personal data in the audit trail');
  });
});
