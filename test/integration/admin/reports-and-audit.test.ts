import t from 'tap';
import { parse } from 'csv-parse/sync';
import Fastify from 'fastify';
import { startBroker } from '../../helpers/broker.js';
import { readFileSync } from 'node:fs';
import { adminAuth } from '../../../src/http/admin/admin-auth.js';
import { captureLogFile, createTestLogger } from '../../helpers/log-capture.js';

const TOKEN = 'test-admin-token-0123456789abcdef';

t.test('admin reports and audit', async (t) => {
  const broker = await startBroker();
  t.teardown(() => broker.close());
  const { db } = broker.deps.database;
  const get = (path: string, token: string | null = TOKEN) => fetch(`${broker.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  await db
    .insertInto('profiles')
    .values([
      { id: 'p-teacher', login: 'teacher', last_name: 'Андреева', first_name: 'Кармела', middle_name: 'Егоровна', birth_date: '1980-02-01', snils_hmac: 'h1', snils_last4: '0001', roles: '["teacher","parent"]', school_ids: '["school-1"]', activated: true, region: '38' },
      { id: 'p-student', login: 'student', last_name: 'Андреева', first_name: 'Мария', middle_name: 'Даниловна', birth_date: null, roles: '["student"]', school_ids: '["school-1"]', activated: false, region: '38' },
      { id: 'p-other', login: 'other', last_name: 'Иванов', first_name: 'Иван', birth_date: '1990-01-01', snils_hmac: 'h3', roles: '["teacher"]', school_ids: '["school-2"]', activated: true, region: '29' },
    ])
    .execute();
  await db
    .insertInto('audit_events')
    .values([
      { actor: 'esia:1001', action: 'login', target: 'p-teacher', outcome: 'success', region: '38', at: '2026-11-20T08:00:00Z' },
      { actor: 'esia:1001', action: 'login', target: 'p-teacher', outcome: 'success', region: '38', at: '2026-11-21T08:00:00Z' },
      { actor: 'esia:1002', action: 'login', target: null, outcome: 'refused', reason: 'esia_level_too_low', region: '38', at: '2026-11-21T09:00:00Z' },
      ...Array.from({ length: 7 }, (_, i) => ({ actor: 'admin', action: 'client.update', target: `c-${i}`, outcome: 'ok' })),
    ])
    .execute();

  t.test('every admin endpoint requires the token', async (t) => {
    for (const path of ['/admin/audit', '/admin/reports/logins', '/admin/reports/completeness?format=csv']) {
      const missing = await get(path, null);
      t.equal(missing.status, 401, `${path} without a token`);
      t.match(missing.headers.get('www-authenticate'), /^Bearer/);
      t.equal((await get(path, 'wrong-token-wrong-token')).status, 401, `${path} with a wrong token`);
    }
  });

  t.test('validation errors are named', async (t) => {
    const badRegion = await get('/admin/reports/logins?region=Irkutsk');
    t.equal(badRegion.status, 400);
    t.match(await badRegion.json(), { error: 'invalid_request', error_description: /region: must be a two-digit region code/ });
    const badReport = await get('/admin/reports/everything');
    t.equal(badReport.status, 400);
    t.match(await badReport.json(), { error_description: /report must be one of logins, completeness, outcomes/ });
    const badPeriod = await get('/admin/reports/outcomes?from=2026-12-01&to=2026-11-01');
    t.match(await badPeriod.json(), { error_description: /from must not be after to/ });
    t.equal((await get('/admin/audit?limit=0')).status, 400);
  });

  t.test('NUL bytes, impossible dates and huge ids: 400 naming the field, never 500', async (t) => {
    const cases: Array<[string, RegExp]> = [
      ['/admin/reports/logins?school=a%00b', /^school: must not contain control characters/],
      ['/admin/reports/completeness?school=%C2%85&format=csv', /^school: must not contain control characters/],
      ['/admin/reports/outcomes?from=2024-13-45', /^from: must be yyyy-mm-dd, a real calendar day/],
      ['/admin/reports/logins?to=2023-02-29', /^to: must be yyyy-mm-dd, a real calendar day/],
      ['/admin/reports/logins?from=0000-01-01', /^from: must be yyyy-mm-dd, a real calendar day/],
      ['/admin/audit?actor=a%00b', /^actor: must not contain control characters/],
      ['/admin/audit?target=%00', /^target: must not contain control characters/],
      ['/admin/audit?action=%00&outcome=%01', /^action: .*; outcome: /],
      ['/admin/audit?from=2024-13-45', /^from: must be yyyy-mm-dd, a real calendar day/],
      [`/admin/audit?before=${'9'.repeat(30)}`, /^before: must be an event id/],
      ['/admin/audit?limit=1e400', /^limit: /],
    ];
    for (const [path, description] of cases) {
      const res = await get(path);
      t.equal(res.status, 400, path);
      t.match(await res.json(), { error: 'invalid_request', error_description: description }, path);
    }
    t.equal((await get('/admin/reports/logins?from=2024-02-29&to=2024-02-29')).status, 200, 'a leap day is a day');
    t.equal((await get(`/admin/audit?before=${'9'.repeat(18)}`)).status, 200, 'the largest id we take');
  });

  t.test('login activity per person, filtered, as JSON and CSV', async (t) => {
    const json = (await (await get('/admin/reports/logins?region=38&school=school-1')).json()) as { rows: Array<Record<string, unknown>> };
    t.same(
      json.rows.map((r) => [r['profile_id'], r['esia_login'], r['esia_login_count']]),
      [['p-teacher', 'yes', 2], ['p-student', 'no', 0]],
    );
    t.equal(json.rows[0]!['first_esia_login'], '2026-11-20T08:00:00.000Z');
    const csv = await get('/admin/reports/logins?region=38&role=teacher&format=csv');
    t.match(csv.headers.get('content-type'), /^text\/csv/);
    const records = parse(await csv.text(), { columns: true, bom: true }) as Array<Record<string, string>>;
    t.same(Object.keys(records[0]!), ['profile_id', 'full_name', 'roles', 'classes', 'schools', 'school_ids', 'region', 'esia_login', 'first_esia_login', 'last_esia_login', 'esia_login_count']);
    t.same(records.map((r) => [r['profile_id'], r['full_name'], r['roles']]), [['p-teacher', 'Андреева Кармела Егоровна', 'teacher parent']]);
  });

  t.test('CSV for Russian-locale Excel: BOM first, a formula after ; quoted and neutralised', async (t) => {
    await db.insertInto('profiles').values({ id: 'p-formula', login: 'formula', last_name: 'Тест;=1+1', first_name: '@Имя', birth_date: '1990-01-01', snils_hmac: 'h9', roles: '["teacher"]', school_ids: '["school-9"]', activated: true, region: '61' }).execute();
    const bytes = Buffer.from(await (await get('/admin/reports/logins?region=61&format=csv')).arrayBuffer());
    t.same([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM');
    const lines = bytes.toString('utf8').slice(1).split('\r\n');
    t.match(lines[1], /^p-formula,"Тест;'=1\+1 @Имя",teacher,,организация school-9,school-9,61,/);
    t.same((parse(bytes, { columns: true, bom: true }) as Array<Record<string, string>>).map((r) => r['full_name']), [`Тест;'=1+1 @Имя`]);
  });

  t.test('data completeness lists profiles missing SNILS, birth date or activation', async (t) => {
    const records = parse(await (await get('/admin/reports/completeness?format=csv')).text(), { columns: true, bom: true }) as Array<Record<string, string>>;
    t.same(records.map((r) => [r['profile_id'], r['has_snils'], r['has_birth_date'], r['activated']]), [['p-student', 'no', 'no', 'no']]);
  });

  t.test('login outcomes by day, region and reason', async (t) => {
    const json = (await (await get('/admin/reports/outcomes?from=2026-11-20&to=2026-11-21')).json()) as { rows: unknown[] };
    t.same(json.rows, [
      { day: '2026-11-20', region: '38', outcome: 'success', count: 1 },
      { day: '2026-11-21', region: '38', outcome: 'esia_level_too_low', count: 1 },
      { day: '2026-11-21', region: '38', outcome: 'success', count: 1 },
    ]);
  });

  t.test('the audit trail pages newest first', async (t) => {
    const first = (await (await get('/admin/audit?action=client.update&limit=5')).json()) as { events: Array<{ target: string }>; next: string };
    t.same(first.events.map((e) => e.target), ['c-6', 'c-5', 'c-4', 'c-3', 'c-2']);
    t.ok(first.next);
    const second = (await (await get(`/admin/audit?action=client.update&limit=5&before=${first.next}`)).json()) as { events: Array<{ target: string }>; next: string | null };
    t.same(second.events.map((e) => e.target), ['c-1', 'c-0']);
    t.equal(second.next, null);
  });

  t.test('the per-person reports page by keyset: every row once, in the CSV order', async (t) => {
    // 250 people in a region of their own, names repeating (ties fall back to the id), every
    // third one without SNILS; inserted out of order so the id is not the insertion order.
    const lastNames = ['Андреева', 'Борисов', 'Ёлкин', 'Яковлев', 'Abbott'];
    const people = Array.from({ length: 250 }, (_, i) => (i * 97) % 250).map((n) => ({
      id: `pg-${String(n).padStart(3, '0')}`,
      login: `pg-${n}`,
      last_name: lastNames[n % lastNames.length]!,
      first_name: n % 2 ? 'Иван' : 'Мария',
      birth_date: '2010-01-01',
      snils_hmac: n % 3 === 0 ? null : `h-${n}`,
      roles: '["student"]',
      school_ids: '["school-77"]',
      activated: true,
      region: '77',
    }));
    await db.insertInto('profiles').values(people).execute();
    await db
      .insertInto('audit_events')
      .values(people.slice(0, 40).map((p) => ({ actor: 'esia:2000', action: 'login', target: p.id, outcome: 'success', region: '77', at: '2026-11-22T08:00:00Z' })))
      .execute();

    type Page = { rows: Array<Record<string, unknown>>; next: string | null };
    async function walk(report: string, limit: number): Promise<{ ids: string[]; pages: number; rows: Array<Record<string, unknown>> }> {
      const rows: Array<Record<string, unknown>> = [];
      let after: string | null = null;
      let pages = 0;
      do {
        const response = await get(`/admin/reports/${report}?region=77&limit=${limit}${after ? `&after=${encodeURIComponent(after)}` : ''}`);
        t.equal(response.status, 200);
        const page = (await response.json()) as Page;
        t.ok(page.rows.length <= limit, `a page holds at most ${limit} rows`);
        if (page.next) t.equal(page.rows.length, limit, 'only the last page is short');
        rows.push(...page.rows);
        after = page.next;
        pages += 1;
      } while (after && pages < 1000);
      return { ids: rows.map((r) => String(r['profile_id'])), pages, rows };
    }
    const csvIds = async (report: string) =>
      (parse(await (await get(`/admin/reports/${report}?region=77&format=csv`)).text(), { columns: true, bom: true }) as Array<Record<string, string>>).map((r) => r['profile_id']);

    const allLogins = await csvIds('logins');
    t.equal(allLogins.length, 250, 'CSV is the whole report, unpaged');
    const logins = await walk('logins', 7);
    t.equal(logins.pages, 36);
    t.same(logins.ids, allLogins, 'walking the pages gives the CSV rows in the CSV order');
    t.equal(new Set(logins.ids).size, 250, 'no duplicates');
    t.equal(logins.rows.filter((r) => r['esia_login'] === 'yes' && r['esia_login_count'] === 1).length, 40, 'login counts survive paging');

    const allIncomplete = await csvIds('completeness');
    t.equal(allIncomplete.length, 84);
    const incomplete = await walk('completeness', 10);
    t.equal(incomplete.pages, 9);
    t.same(incomplete.ids, allIncomplete);

    const defaultPage = (await (await get('/admin/reports/logins?region=77')).json()) as Page;
    t.equal(defaultPage.rows.length, 100, 'default page size');
    t.equal(defaultPage.next, defaultPage.rows[99]!['profile_id']);
    const maxPage = (await (await get('/admin/reports/logins?region=77&limit=1000')).json()) as Page;
    t.equal(maxPage.rows.length, 250);
    t.equal(maxPage.next, null);
  });

  t.test('report paging errors are named', async (t) => {
    const refused = async (path: string, description: RegExp) => {
      const response = await get(path);
      t.equal(response.status, 400, path);
      t.match(await response.json(), { error: 'invalid_request', error_description: description }, path);
    };
    await refused('/admin/reports/logins?limit=0', /^limit: must be a whole number from 1 to 1000$/);
    await refused('/admin/reports/logins?limit=1001', /^limit: must be a whole number from 1 to 1000$/);
    await refused('/admin/reports/completeness?limit=ten', /^limit: must be a whole number from 1 to 1000$/);
    await refused('/admin/reports/logins?limit=2.5', /^limit: must be a whole number/);
    await refused('/admin/reports/logins?after=%3Cscript%3E', /^after: must be the next value of a previous page$/);
    await refused('/admin/reports/logins?after=pg-gone', /^after: that profile no longer exists/);
    await refused('/admin/reports/outcomes?limit=10', /^limit, after: the outcomes report is not paged/);
    await refused('/admin/reports/logins?format=csv&limit=10', /^limit, after: CSV is the whole report/);
    // A cursor whose profile was deleted between two pages is refused rather than ending the walk early.
    const first = (await (await get('/admin/reports/logins?region=77&limit=5')).json()) as { next: string };
    await db.deleteFrom('profiles').where('id', '=', first.next).execute();
    await refused(`/admin/reports/logins?region=77&limit=5&after=${first.next}`, /^after: that profile no longer exists/);
  });
});

t.test('without ADMIN_TOKEN the admin API does not exist', async (t) => {
  const app = Fastify();
  app.get('/admin/x', { onRequest: adminAuth(undefined) }, async () => ({ secret: true }));
  const response = await app.inject({ url: '/admin/x', headers: { authorization: `Bearer ${TOKEN}` } });
  t.equal(response.statusCode, 404);
  t.notMatch(response.body, /secret/);
});

t.test('a real broker without ADMIN_TOKEN has no admin API and no /admin page, and says so in its log', async (t) => {
  const logFile = captureLogFile();
  // Outside production a missing ADMIN_TOKEN is generated into dev-secrets.json, so a test
  // broker's config always holds one; production leaves it unset (test/unit/config), and that
  // is the config this broker gets. The logger writes to a file we know, to read the warning back.
  const broker = await startBroker({
    overrides: (deps) => ({ config: { ...deps.config, secrets: { ...deps.config.secrets, adminToken: undefined } }, logger: createTestLogger(logFile) }),
  });
  t.teardown(() => broker.close());
  for (const path of ['/admin/clients', '/admin/reports/logins', '/admin']) {
    for (const token of [TOKEN, '']) {
      const response = await fetch(`${broker.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      t.equal(response.status, 404, `${path} ${token ? 'with' : 'without'} a bearer token is 404`);
      t.notMatch(await response.text(), /client_id|Токен администратора/, 'nothing of the admin surface shows');
    }
  }
  t.equal((await fetch(`${broker.url}/.well-known/openid-configuration`)).status, 200, 'the broker itself is up');
  const lines = readFileSync(logFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { level: number; msg: string });
  t.ok(lines.some((line) => line.msg === 'ADMIN_TOKEN not set: the admin API is disabled' && line.level === 40), 'the warning is logged');
});
