import t from 'tap';
import { databaseBackends } from '../../helpers/backends.js';
import { createSchoolImport } from '../../../src/admin/school-import.js';
import { createPostgresSchoolStore } from '../../../src/store/postgres/schools-repo.js';
import { createPostgresProfileAdminStore } from '../../../src/store/postgres/profile-admin-repo.js';
import { createPostgresDirectory } from '../../../src/store/postgres/directory-repo.js';

// The school directory (migration 0006) and profiles.classes on embedded PGlite and real PostgreSQL.
const call = { actor: 'admin:test' };

for (const backend of databaseBackends()) {
  t.test(`school directory: ${backend.name}`, async (t) => {
    const handle = await backend.open();
    t.teardown(() => handle.close());
    const { db } = handle;
    const store = createPostgresSchoolStore(db);
    const importSchools = createSchoolImport({ store });

    t.test('import creates, then reports unchanged and updated rows', async (t) => {
      const rows = [
        { id: '38-0007', full_name: 'Муниципальное бюджетное общеобразовательное учреждение «СОШ № 7»', short_name: 'МБОУ «СОШ № 7»', municipality: 'г. Иркутск', region: '38' },
        { id: '38-0012', full_name: 'МАОУ «Лицей № 12»', short_name: 'Лицей № 12', municipality: 'г. Иркутск', region: '38' },
        { id: '5-1', full_name: 'МКОУ «Школа № 1»', short_name: 'Школа № 1', municipality: 'г. Махачкала', region: '5' },
      ];
      const first = await importSchools({ format: 'json', data: rows }, call);
      t.same(first.summary, { total: 3, created: 3, updated: 0, unchanged: 0, rejected: 0 });
      const again = await importSchools({ format: 'json', data: { schools: [rows[0], { ...rows[1], short_name: 'МАОУ «Лицей № 12»' }] } }, call);
      t.same(again.summary, { total: 2, created: 0, updated: 1, unchanged: 1, rejected: 0 });
      t.match(again.rows[1], { id: '38-0012', status: 'updated', fields: ['short_name'] });
      const found = await store.byIds(['38-0012', '05-1', '5-1', 'missing']);
      t.same([...found.keys()].sort(), ['38-0012', '5-1'], 'only known ids come back');
      t.same(found.get('5-1'), { id: '5-1', fullName: 'МКОУ «Школа № 1»', shortName: 'Школа № 1', municipality: 'г. Махачкала', region: '05' }, 'region padded like the profile import');
      t.same((await store.list('38')).map((s) => s.id), ['38-0012', '38-0007'], 'by municipality, then short name (МАОУ before МБОУ)');
      t.equal((await store.list()).length, 3);
      t.same(await store.byIds([]), new Map());
    });

    t.test('a dry run stores nothing; bad rows are rejected one by one', async (t) => {
      const dry = await importSchools({ format: 'csv', text: 'Код;Краткое наименование;Полное наименование;Муниципалитет;Регион\n38-0100;Школа № 100;МБОУ «Школа № 100»;г. Ангарск;38\n;Без кода;Без кода;г. Ангарск;38\n38-0101;;Полное;г. Ангарск;138\n38-0100;Дубль;Дубль;г. Ангарск;38\n' }, call, { dryRun: true });
      t.same(dry.summary, { total: 4, created: 1, updated: 0, unchanged: 0, rejected: 3 });
      t.match(dry.rows, [
        { line: 2, id: '38-0100', status: 'created' },
        { line: 3, status: 'rejected', errors: [{ field: 'id', code: 'missing_field' }] },
        { line: 4, id: '38-0101', status: 'rejected', errors: [{ field: 'short_name', code: 'missing_field' }, { field: 'region', code: 'too_long' }] },
        { line: 5, id: '38-0100', status: 'rejected', errors: [{ field: 'id', code: 'duplicate_id', message: 'id: also on line 2' }] },
      ]);
      t.equal((await store.byIds(['38-0100'])).size, 0, 'dry run: nothing stored');
      const audit = await db.selectFrom('audit_events').select(['action', 'outcome']).where('action', 'like', 'school.%').orderBy('id').execute();
      t.same(audit.at(-1), { action: 'school.import', outcome: 'dry_run' });
      t.ok(audit.some((e) => e.action === 'school.create'), 'each change is audited');
    });

    t.test('profiles carry classes through the admin store and the directory', async (t) => {
      const profiles = createPostgresProfileAdminStore(db);
      await profiles.importTransaction((tx) => tx.upsert([{
        id: 'p-class', login: 'p.class', lastName: 'Морозов', firstName: 'Артём', middleName: null, birthDate: '2013-09-09', snilsHash: null, snilsLast4: null,
        email: null, emailConfirmed: false, roles: ['student'], schoolIds: ['38-0007'], classes: ['5-в'], activated: true, region: '38', passwordHash: null, passwordDigest: null,
      }]));
      t.same((await profiles.find('p-class'))?.classes, ['5-в']);
      t.same((await createPostgresDirectory(db).findById('p-class'))?.classes, ['5-в']);
    });
  });
}
