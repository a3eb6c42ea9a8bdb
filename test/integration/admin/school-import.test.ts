import t from 'tap';
import { adminClient, csvFile } from '../../helpers/admin.js';
import { startBroker } from '../../helpers/broker.js';

type Report = {
  dry_run: boolean;
  summary: Record<string, number>;
  rows: Array<{ line?: number; index?: number; id?: string; status: string; fields?: string[]; errors?: Array<{ field?: string; code: string; message: string }> }>;
};
type School = { id: string; full_name: string; short_name: string; municipality: string; region: string };

t.test('school directory import through the admin API', async (t) => {
  const broker = await startBroker();
  t.teardown(() => broker.close());
  const { call } = adminClient(broker.url);

  t.test('auth is required', async (t) => {
    t.equal((await call('POST', '/admin/schools/import', { text: 'id\nx\n', token: null })).status, 401);
    t.equal((await call('GET', '/admin/schools', { token: null })).status, 401);
  });

  t.test('CSV with the diary\'s Russian headers; rows reported by line; listing as JSON and CSV', async (t) => {
    const text = csvFile(['Код ОО', 'Полное наименование', 'Краткое наименование', 'Муниципалитет', 'Регион'], [
      ['38-0007', 'Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная школа № 7»', 'МБОУ «СОШ № 7»', 'г. Иркутск', '38'],
      ['38-0012', 'Муниципальное автономное общеобразовательное учреждение «Лицей № 12»', 'МАОУ «Лицей № 12»', 'г. Иркутск', '38'],
      ['38-bad code', 'Школа', 'Школа', 'г. Иркутск', '38'],
      ['38-0200', 'Школа', 'Школа', 'г. Ангарск', '3а'],
    ]);
    const dry = await call<Report>('POST', '/admin/schools/import?dry_run=true', { text: `\uFEFF${text}` });
    t.equal(dry.status, 200, dry.text);
    t.match(dry.body, { dry_run: true, summary: { total: 4, created: 2, rejected: 2 } });
    t.same((await call<{ schools: School[] }>('GET', '/admin/schools')).body.schools, [], 'a dry run stores nothing');

    const response = await call<Report>('POST', '/admin/schools/import', { text });
    t.equal(response.status, 200, response.text);
    t.same(response.body.summary, { total: 4, created: 2, updated: 0, unchanged: 0, rejected: 2 });
    t.match(response.body.rows, [
      { line: 2, id: '38-0007', status: 'created' },
      { line: 3, id: '38-0012', status: 'created' },
      { line: 4, status: 'rejected', errors: [{ field: 'id', code: 'bad_id' }] },
      { line: 5, id: '38-0200', status: 'rejected', errors: [{ field: 'region', code: 'bad_region' }] },
    ]);
    const listed = await call<{ schools: School[] }>('GET', '/admin/schools?region=38');
    t.equal(listed.headers.get('cache-control'), 'no-store');
    t.same(listed.body.schools.map((s) => [s.id, s.short_name, s.municipality]), [['38-0012', 'МАОУ «Лицей № 12»', 'г. Иркутск'], ['38-0007', 'МБОУ «СОШ № 7»', 'г. Иркутск']]);
    const csv = await call('GET', '/admin/schools?format=csv');
    t.match(csv.headers.get('content-type'), /^text\/csv/);
    t.equal(csv.text.replace(/^\uFEFF/, '').split('\r\n')[0], 'id,full_name,short_name,municipality,region');
    t.equal((await call('GET', '/admin/schools?region=Иркутск')).status, 400, 'a bad region filter is refused');
  });

  t.test('JSON: an update names its changed columns; a whole-file problem stores nothing', async (t) => {
    const json = await call<Report>('POST', '/admin/schools/import', {
      json: { schools: [{ id: '38-0012', full_name: 'Муниципальное автономное общеобразовательное учреждение «Лицей № 12»', short_name: 'Лицей № 12', municipality: 'г. Иркутск', region: '38' }] },
    });
    t.equal(json.status, 200, json.text);
    t.match(json.body.rows, [{ index: 0, id: '38-0012', status: 'updated', fields: ['short_name'] }]);
    const unknown = await call('POST', '/admin/schools/import', { text: 'id;director\nx;y\n' });
    t.equal(unknown.status, 400);
    t.match(unknown.body, { error: 'invalid_request', error_description: /unknown column "director".*known: id, full_name, short_name, municipality, region/ });
    const audit = await call<{ events: Array<{ action: string; outcome: string; details: Record<string, unknown> }> }>('GET', '/admin/audit?action=school.import&limit=5');
    t.match(audit.body.events[0], { action: 'school.import', outcome: 'ok', details: { updated: 1 } });
  });

  t.test('profiles carry their classes from the directory import', async (t) => {
    const text = csvFile(['id', 'login', 'last_name', 'first_name', 'roles', 'school_ids', 'Класс', 'activated', 'region'], [
      ['cls-1', 'cls.one', 'Морозов', 'Артём', 'ученик', '38-0007', '5-в', 'да', '38'],
      ['cls-2', 'cls.two', 'Абакумова', 'Елена', 'учитель', '38-0007', '2-в 6-в', 'да', '38'],
      ['cls-3', 'cls.three', 'Лишний', 'Класс', 'ученик', '38-0007', '5 "в"', 'да', '38'],
    ]);
    const response = await call<Report>('POST', '/admin/profiles/import', { text });
    t.equal(response.status, 200, response.text);
    t.match(response.body.rows, [{ status: 'created' }, { status: 'created' }, { status: 'rejected', errors: [{ field: 'classes', code: 'bad_class' }] }]);
    t.match((await call('GET', '/admin/profiles/cls-2')).body, { profile: { classes: ['2-в', '6-в'] } });
  });
});
