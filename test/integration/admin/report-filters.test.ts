import t from 'tap';
import { parse } from 'csv-parse/sync';
import { adminClient, csvFile } from '../../helpers/admin.js';
import { startBroker } from '../../helpers/broker.js';

type Rows = { rows: Array<Record<string, unknown>>; columns: string[] };

// The people reports as the diary's own («Активность в Дневнике: Персональная»): person, roles,
// classes, school by name, ESIA login yes/no, last login; filtered by region, municipality, school, class, role, school year and month.
t.test('people reports: school names, classes and the diary\'s filters', async (t) => {
  const broker = await startBroker();
  t.teardown(() => broker.close());
  const { call } = adminClient(broker.url);
  const { db } = broker.deps.database;

  const schools = csvFile(['id', 'full_name', 'short_name', 'municipality', 'region'], [
    ['38-0007', 'МБОУ «Средняя общеобразовательная школа № 7»', 'МБОУ «СОШ № 7»', 'г. Иркутск', '38'],
    ['38-0100', 'МБОУ «Школа № 100»', 'Школа № 100', 'г. Ангарск', '38'],
  ]);
  t.equal((await call('POST', '/admin/schools/import', { text: schools })).status, 200);
  const people = csvFile(['id', 'login', 'last_name', 'first_name', 'roles', 'school_ids', 'classes', 'activated', 'region'], [
    ['rf-pupil', 'rf.pupil', 'Аверин', 'Максим', 'student', '38-0007', '5-в', 'true', '38'],
    ['rf-teacher', 'rf.teacher', 'Абакумова', 'Елена', 'teacher', '38-0007', '2-в 6-в', 'true', '38'],
    ['rf-angarsk', 'rf.angarsk', 'Аверина', 'Валентина', 'student', '38-0100', '9-а', 'true', '38'],
    ['rf-unknown', 'rf.unknown', 'Безшкольный', 'Пётр', 'parent', '38-0999', '', 'true', '38'],
  ]);
  t.equal((await call('POST', '/admin/profiles/import', { text: people })).status, 200);
  await db.insertInto('audit_events').values([
    { actor: 'esia:1', action: 'login', target: 'rf-pupil', outcome: 'success', region: '38', at: '2025-09-15T08:00:00Z' },
    { actor: 'esia:1', action: 'login', target: 'rf-pupil', outcome: 'success', region: '38', at: '2026-03-02T08:00:00Z' },
    { actor: 'esia:2', action: 'login', target: 'rf-teacher', outcome: 'success', region: '38', at: '2024-10-01T08:00:00Z' },
  ]).execute();
  const logins = async (query: string) => (await call<Rows>('GET', `/admin/reports/logins?region=38&${query}`)).body.rows;
  const ids = (rows: Array<Record<string, unknown>>) => rows.map((r) => r['profile_id']);

  t.test('columns: classes and school names; a school missing from the directory by its code', async (t) => {
    const rows = await logins('');
    t.same(ids(rows), ['rf-teacher', 'rf-pupil', 'rf-angarsk', 'rf-unknown'], 'by name');
    t.match(rows[1], { full_name: 'Аверин Максим', roles: 'student', classes: '5-в', schools: 'МБОУ «СОШ № 7»', school_ids: '38-0007', esia_login: 'yes', last_esia_login: '2026-03-02T08:00:00.000Z' });
    t.match(rows[0], { classes: '2-в 6-в', schools: 'МБОУ «СОШ № 7»' });
    t.match(rows[3], { schools: 'организация 38-0999', esia_login: 'no', last_esia_login: null });
  });

  t.test('filters: municipality, school, class, role', async (t) => {
    t.same(ids(await logins('municipality=' + encodeURIComponent('г. Ангарск'))), ['rf-angarsk']);
    t.same(ids(await logins('school=38-0007')), ['rf-teacher', 'rf-pupil']);
    t.same(ids(await logins('class=' + encodeURIComponent('6-в'))), ['rf-teacher']);
    t.same(ids(await logins('role=student&municipality=' + encodeURIComponent('г. Иркутск'))), ['rf-pupil']);
    t.same(ids(await logins('municipality=' + encodeURIComponent('Нигде'))), []);
  });

  t.test('school year runs 1 August to 31 July; a month is one of its months', async (t) => {
    const year = await logins('school_year=2025/2026');
    t.match(year.find((r) => r['profile_id'] === 'rf-pupil'), { esia_login: 'yes', esia_login_count: 2, first_esia_login: '2025-09-15T08:00:00.000Z' });
    t.match(year.find((r) => r['profile_id'] === 'rf-teacher'), { esia_login: 'no' }, 'a login of 2024/2025 is not in 2025/2026');
    t.match((await logins('school_year=2025/2026&month=3')).find((r) => r['profile_id'] === 'rf-pupil'), { esia_login_count: 1, last_esia_login: '2026-03-02T08:00:00.000Z' }, 'March of 2025/2026 is March 2026');
    t.match((await logins('school_year=2025/2026&month=10')).find((r) => r['profile_id'] === 'rf-pupil'), { esia_login: 'no' });
    t.match((await logins('school_year=2024/2025&month=10')).find((r) => r['profile_id'] === 'rf-teacher'), { esia_login: 'yes' }, 'October of 2024/2025 is October 2024');
  });

  t.test('refused filters are named, in English (the /admin page says them in Russian)', async (t) => {
    const cases: Array<[string, RegExp]> = [
      ['school_year=2025-2026', /^school_year: must be a school year like 2025\/2026/],
      ['school_year=2025/2027', /^school_year: must be a school year like 2025\/2026/],
      ['month=13&school_year=2025/2026', /^month: must be a month number, 1 to 12/],
      ['month=3', /^month: month needs school_year/],
      ['school_year=2025/2026&from=2025-09-01', /^school_year: either school_year \(and month\) or from\/to, not both/],
      ['class=' + encodeURIComponent('5 "в"'), /^class: must be letters and digits, like 5-в/],
      ['role=director', /^role: Invalid option: expected one of "student"\|"parent"\|"teacher"\|"staff"\|"admin"/],
    ];
    for (const [query, message] of cases) {
      const response = await call('GET', `/admin/reports/logins?${query}`);
      t.equal(response.status, 400, query);
      t.match(response.body, { error: 'invalid_request', error_description: message }, query);
    }
  });

  t.test('completeness CSV carries the same columns and filters', async (t) => {
    const csv = await call('GET', '/admin/reports/completeness?format=csv&class=9-%D0%B0');
    const records = parse(csv.text, { columns: true, bom: true }) as Array<Record<string, string>>;
    t.same(records.map((r) => [r['profile_id'], r['classes'], r['schools']]), [['rf-angarsk', '9-а', 'Школа № 100']]);
  });
});
