import t from 'tap';
import { detectDelimiter, readCsv, readJson, type ImportRecord } from '../../../src/admin/import-format.js';
import { loginsTaken, planRow } from '../../../src/admin/import-plan.js';
import { createRowValidator } from '../../../src/admin/import-rows.js';
import type { StoredProfile } from '../../../src/admin/profile-store.js';
import { createSnilsHasher } from '../../../src/crypto/snils.js';

const validate = createRowValidator(createSnilsHasher('unit-test-snils-key-0123456789'), new Date('2026-11-23T12:00:00Z'));
const record = (values: ImportRecord['values']): ImportRecord => ({ position: { line: 2 }, values: { id: 'p-1', ...values }, errors: [] });
const fieldOf = (values: ImportRecord['values']) => {
  const result = validate(record(values));
  return result.ok ? result.profile.fields : result.errors.map((e) => e.code);
};

t.test('field values as spreadsheets and diaries write them', async (t) => {
  const cases: Array<[string, ImportRecord['values'], unknown]> = [
    ['ISO date', { birth_date: '2009-03-14' }, { birthDate: '2009-03-14' }],
    ['Russian date', { birth_date: '14.03.2009' }, { birthDate: '2009-03-14' }],
    ['leap day', { birth_date: '29.02.2008' }, { birthDate: '2008-02-29' }],
    ['no such day', { birth_date: '29.02.2009' }, ['bad_date']],
    ['American date', { birth_date: '03/14/2009' }, ['bad_date']],
    ['future date', { birth_date: '2027-01-01' }, ['bad_date']],
    ['empty date clears', { birth_date: '' }, { birthDate: null }],
    ['SNILS with separators', { snils: '112-233-445 95' }, { snils: { last4: '4595' } }],
    ['SNILS digits only', { snils: '11223344595' }, { snils: { last4: '4595' } }],
    ['SNILS bad checksum', { snils: '112-233-445 96' }, ['bad_snils_checksum']],
    ['SNILS too short (Excel ate a zero)', { snils: '1223344595' }, ['bad_snils']],
    ['roles in Russian', { roles: 'Родитель, учитель' }, { roles: ['parent', 'teacher'] }],
    ['roles with pipes, repeated', { roles: 'parent|parent|student' }, { roles: ['parent', 'student'] }],
    ['unknown role', { roles: 'parent director' }, ['unknown_role']],
    ['no role', { roles: '' }, ['missing_field']],
    ['region without its zero', { region: '5' }, { region: '05' }],
    ['region 00', { region: '00' }, ['bad_region']],
    ['region name', { region: 'Иркутская' }, ['too_long']],
    ['booleans in words', { activated: 'Да', email_confirmed: 'no' }, { activated: true, emailConfirmed: false }],
    ['boolean garbage', { activated: 'maybe' }, ['bad_boolean']],
    ['login with a space', { login: 'ivan petrov' }, ['bad_login']],
    ['e-mail', { email: 'not-an-address' }, ['bad_email']],
    ['school list', { school_ids: 'school-1 school-2,school-3' }, { schoolIds: ['school-1', 'school-2', 'school-3'] }],
    ['JSON lists and booleans', { roles: ['teacher'], activated: true }, { roles: ['teacher'], activated: true }],
  ];
  for (const [name, values, expected] of cases) t.match(fieldOf(values), expected, name);
});

t.test('ids, passwords and errors that never echo personal data', async (t) => {
  t.match(validate(record({ id: 'bad id' })), { ok: false, errors: [{ field: 'id', code: 'bad_id' }] });
  t.match(validate(record({ id: '' })), { ok: false, errors: [{ code: 'missing_field' }] });
  t.match(validate(record({ password: '  spaced  ' })), { ok: true, profile: { password: '  spaced  ' } }, 'passwords are taken as typed');
  t.match(validate(record({ password: '' })), { ok: true, profile: { password: undefined } }, 'empty password: no change');
  const bad = validate(record({ snils: '112-233-445 96', birth_date: '31.02.2009' }));
  t.notMatch(JSON.stringify(bad), /112|445|2009/);
});

t.test('CSV reading', async (t) => {
  t.equal(detectDelimiter('id;login;name,x\n'), ';');
  t.equal(detectDelimiter('id,login\n'), ',');
  t.equal(detectDelimiter('id\n'), ',');
  const rows = readCsv('\uFEFFИдентификатор;Фамилия;Пароль\r\n p-1 ; Иванова ; pw \r\n\r\np-2;"Петрова;\nВторая";\r\np-3;Лишняя;x;y\r\n');
  t.same(rows.map((r) => [r.position, r.values]), [
    [{ line: 2 }, { id: 'p-1', last_name: 'Иванова', password: ' pw ' }],
    [{ line: 4 }, { id: 'p-2', last_name: 'Петрова;\nВторая', password: '' }],
    [{ line: 6 }, { id: 'p-3', last_name: 'Лишняя', password: 'x' }],
  ]);
  t.match(rows[2]!.errors, [{ code: 'bad_column_count' }]);
  t.throws(() => readCsv('id;id\n1;2\n'), /column id appears twice/);
  t.throws(() => readJson([]), /empty/);
});

t.test('plans: unchanged, changed columns, logins held elsewhere', async (t) => {
  const stored: StoredProfile = {
    id: 'p-1', login: 'ivanova', lastName: 'Иванова', firstName: 'Мария', middleName: null, birthDate: '2009-03-14', snilsHash: 'h', snilsLast4: '4595',
    email: null, emailConfirmed: false, roles: ['parent', 'teacher'], schoolIds: ['s-1'], classes: [], activated: true, region: '38', passwordHash: 'scrypt$x', passwordDigest: 'd1',
  };
  t.same(planRow({ id: 'p-1', fields: { roles: ['teacher', 'parent'], lastName: 'Иванова' }, password: 'same' }, stored, undefined), { kind: 'unchanged' }, 'role order does not matter');
  t.match(planRow({ id: 'p-1', fields: { schoolIds: ['s-2'], snils: null }, password: undefined }, stored, { hash: 'scrypt$y', digest: 'd2' }), { kind: 'update', fields: ['snils', 'school_ids', 'password'], final: { snilsHash: null, snilsLast4: null, passwordHash: 'scrypt$y' } });
  t.match(planRow({ id: 'p-2', fields: { login: 'x' }, password: undefined }, undefined, undefined), { kind: 'reject', errors: [{ field: 'last_name' }, { field: 'first_name' }, { field: 'region' }, { field: 'roles' }] });

  const owners = [{ id: 'a', login: 'Anna' }, { id: 'b', login: 'boris' }];
  t.same([...loginsTaken([{ id: 'c', login: 'ANNA' }], owners, new Map())], [['c', 'a']], 'held by another profile, ignoring case');
  t.same([...loginsTaken([{ id: 'c', login: 'anna' }], owners, new Map([['a', 'anna.new']]))], [], 'freed by this same import');
  t.same([...loginsTaken([{ id: 'b', login: 'Boris' }], owners, new Map())], [], 'a profile keeps its own login');
});
