import t from 'tap';
import { effectivePolicies, effectivePolicy, toPublicJson } from '../../../src/policy/effective-policy.js';
import { regionPolicy } from '../../../src/policy/region-schema.js';
import { region, shipped } from '../../helpers/seed-regions.js';

const group = (policy: ReturnType<typeof effectivePolicy>, role: string, ageBand: string) => policy.groups.find((g) => g.role === role && g.ageBand === ageBand);

t.test('the Irkutsk page «ГРАФИК ПЕРЕХОДА: с 01.12.2018 г.»: before the date every group keeps the password form, with the date announced', async (t) => {
  const before = effectivePolicy(region('38'), '2018-11-30');
  for (const role of ['teacher', 'staff', 'admin', 'parent'] as const) {
    t.match(group(before, role, 'adult'), { access: 'esia_optional', passwordForm: true, esiaOnlyFrom: '2018-12-01' }, role);
  }
  t.match(group(before, 'student', 'adult'), { access: 'esia_optional', esiaOnlyFrom: '2018-12-01' });
  t.match(group(before, 'student', 'minor'), { access: 'esia_optional', passwordForm: true, esiaOnlyFrom: undefined });
});

t.test('the Irkutsk page «Сотрудники ОО. Обучающиеся ОО (старше 14 лет). Родители.»: from the date they lose the password form', async (t) => {
  const after = effectivePolicy(region('38'), '2018-12-01');
  for (const role of ['teacher', 'staff', 'admin', 'parent', 'student'] as const) {
    t.match(group(after, role, 'adult'), { access: 'esia_only', passwordForm: false, esiaOnlyFrom: undefined }, role);
  }
  t.match(group(after, 'student', 'minor'), { access: 'esia_optional', passwordForm: true }, 'students under 14 keep it');
});

t.test('the Arkhangelsk login page «вход в систему возможен только через госуслуги»: Arkhangelsk hides the password form for everyone', async (t) => {
  const policy = effectivePolicy(region('29'), '2024-09-01');
  t.equal(policy.groups.length, 10, '5 roles × 2 age bands');
  t.ok(policy.groups.every((g) => g.access === 'esia_only' && !g.passwordForm));
});

t.test('the Ivanovo instruction Ivanovo: adult age 18 and the levels per band are published', async (t) => {
  const policy = effectivePolicy(region('37'), '2024-09-01');
  t.equal(policy.adultAge, 18);
  t.same(group(policy, 'student', 'adult')?.requiredLevels, ['standard', 'confirmed']);
  t.same(group(policy, 'student', 'minor')?.requiredLevels, ['simplified', 'standard', 'confirmed']);
  t.equal(group(policy, 'student', 'minor')?.childAccountRequired, false);
});

t.test('closed and off groups are published as such', async (t) => {
  const closed = effectivePolicy(regionPolicy({ code: '99', name: 'T', loginHost: '99.dnevnik.ru', mode: 'esia_optional', closedTo: [{ roles: ['admin'] }] }), '2024-09-01');
  t.match(group(closed, 'admin', 'adult'), { access: 'closed', passwordForm: true });
  const off = effectivePolicy(regionPolicy({ code: '98', name: 'T', loginHost: '98.dnevnik.ru', mode: 'off' }), '2024-09-01');
  t.ok(off.groups.every((g) => g.access === 'off' && g.passwordForm));
});

t.test('every region on its own calendar day, in code order, on the wire in snake_case', async (t) => {
  const all = effectivePolicies(shipped, new Date('2018-11-30T16:30:00Z'));
  t.same(all.map((p) => p.code), [...shipped.regions.keys()].sort());
  const irkutsk = all.find((p) => p.code === '38')!;
  const moscowTime = all.find((p) => p.code === '52')!;
  t.equal(irkutsk.date, '2018-12-01', 'Irkutsk is already on 1 December: staff are ESIA-only');
  t.equal(group(irkutsk, 'teacher', 'adult')?.access, 'esia_only');
  t.equal(moscowTime.date, '2018-11-30');
  const wire = toPublicJson(irkutsk);
  t.match(wire, { region: '38', login_url: 'https://38.dnevnik.ru', adult_age: 14, time_zone: 'Asia/Irkutsk' });
  t.match((wire['groups'] as unknown[])[0], { role: 'student', age_band: 'adult', access: 'esia_only', password_form: false, required_levels: ['standard', 'confirmed'] });
});

t.test('the ESIA-login help page «из других регионов … стандартной формой авторизации»: a region not in the table is published as not enabled', async (t) => {
  const { notEnabledPolicy } = await import('../../../src/policy/effective-policy.js');
  const body = notEnabledPolicy('77', new Date('2024-09-01T12:00:00Z')) as { enabled: boolean; groups: Array<{ access: string; password_form: boolean }> };
  t.match(body, { region: '77', enabled: false, mode: 'off', date: '2024-09-01' });
  t.equal(body.groups.length, 10);
  t.ok(body.groups.every((g) => g.access === 'off' && g.password_form));
  t.match(toPublicJson(effectivePolicy(region('38'), '2024-09-01')), { enabled: true });
});
