import t from 'tap';
import { parseRegionTable } from '../../../src/policy/region-schema.js';
import { region, shipped } from '../../helpers/seed-regions.js';

// The ESIA-login help page, «Регионы, в которых реализован вход через портал госуслуг»: the table as printed.
const SEED_000: Array<[string, string]> = [
  ['28', 'Амурская область'], ['29', 'Архангельская область'], ['30', 'Астраханская область'], ['36', 'Воронежская область'],
  ['79', 'Еврейская автономная область'], ['38', 'Иркутская область'], ['43', 'Кировская область'], ['47', 'Ленинградская область'],
  ['52', 'Нижегородская область'], ['53', 'Новгородская область'], ['54', 'Новосибирская область'], ['55', 'Омская область'],
  ['56', 'Оренбургская область'], ['01', 'Республика Адыгея'], ['02', 'Республика Башкортостан'], ['05', 'Республика Дагестан'],
  ['10', 'Республика Карелия'], ['91', 'Республика Крым'], ['15', 'Республика Северная Осетия — Алания'], ['78', 'Санкт-Петербург'],
  ['64', 'Саратовская область'], ['66', 'Свердловская область'], ['92', 'Севастополь'], ['68', 'Тамбовская область'],
  ['87', 'Чукотский автономный округ'],
];

t.test('the ESIA-login help page «Регион / Страница для входа»: every listed region with its code, name and https://NN.dnevnik.ru', async (t) => {
  for (const [code, name] of SEED_000) {
    const r = region(code);
    t.equal(r.name, name, `${code} name`);
    t.equal(r.loginHost, `${code}.dnevnik.ru`, `${code} login host`);
    t.equal(r.adultAge, 14, `${code}: «Для пользователей старше 14 лет»`);
    t.same(r.requiredLevels, { adult: ['standard', 'confirmed'], minor: ['simplified', 'standard', 'confirmed'] }, `${code} levels`);
  }
  t.equal(shipped.regions.size, SEED_000.length + 1, 'the the ESIA-login help page regions plus Ivanovo, nothing else');
});

t.test('the Ivanovo instruction «ДЛЯ ПОЛЬЗОВАТЕЛЕЙ ИВАНОВСКОЙ ОБЛАСТИ … (https://37.dnevnik.ru)»: threshold 18, child-account rule present and off', async (t) => {
  const ivanovo = region('37');
  t.equal(ivanovo.name, 'Ивановская область');
  t.equal(ivanovo.loginHost, '37.dnevnik.ru');
  t.equal(ivanovo.adultAge, 18, '«Для пользователей старше 18 лет»');
  t.equal(ivanovo.minorsNeedChildAccount, false, 'configurable, off by default');
});

t.test('the Arkhangelsk login page «Для Вашего региона вход в систему возможен только через госуслуги»: Arkhangelsk is ESIA-only', async (t) => {
  t.equal(region('29').mode, 'esia_only');
  const others = [...shipped.regions.values()].filter((r) => r.code !== '29');
  t.ok(others.every((r) => r.mode === 'esia_optional'), 'the others keep the password form (the ESIA-login help page: «доступен»)');
});

t.test('the Irkutsk page «ГРАФИК ПЕРЕХОДА: с 01.12.2018 г.»: Irkutsk staff, students from 14, parents', async (t) => {
  const irkutsk = region('38');
  t.equal(irkutsk.timeZone, 'Asia/Irkutsk');
  t.same(
    irkutsk.rollout.map((step) => ({ ...step })),
    [
      { from: '2018-12-01', roles: ['teacher', 'staff', 'admin'] },
      { from: '2018-12-01', roles: ['student'], ageBand: 'adult' },
      { from: '2018-12-01', roles: ['parent'] },
    ],
  );
  t.same(irkutsk.closedTo, [], 'nobody is refused outright');
});

t.test('every region names the help-page passage it comes from', async (t) => {
  for (const r of shipped.regions.values()) t.match(r.source, /^(the ESIA-login help page|the Ivanovo instruction|the Arkhangelsk login page|the instruction for users over 14|the Irkutsk page)\b/, r.code);
});

t.test('the snapshot is immutable', async (t) => {
  const r = region('38');
  t.throws(() => {
    (r as { adultAge: number }).adultAge = 99;
  });
  t.throws(() => {
    (r.rollout as unknown as unknown[]).push({});
  });
});

t.test('validation names every problem by its path', async (t) => {
  const result = parseRegionTable({
    regions: [
      { code: '38', name: 'Иркутская область', loginHost: '38.dnevnik.ru', mode: 'esia_optional' },
      { code: '38', name: 'Дубль', loginHost: '38.dnevnik.ru', mode: 'esia_optional' },
      { code: '7', name: 'X', loginHost: 'https://7.dnevnik.ru', mode: 'sometimes', timeZone: 'Mars/Olympus', adultAge: 0 },
      { code: '11', name: 'Y', loginHost: '11.dnevnik.ru', mode: 'off', rollout: [{ from: '01.12.2018', roles: ['pupil'] }], adultAge: 14, adultAgee: 18 },
    ],
  });
  t.equal(result.ok, false);
  const problems = result.ok ? '' : result.problems.join('\n');
  t.match(problems, /regions\.1\.code: duplicate region 38 \(also regions\.0\)/);
  t.match(problems, /regions\.2\.code: must be a two-digit region code/);
  t.match(problems, /regions\.2\.loginHost: must be a lowercase host name/);
  t.match(problems, /regions\.2\.mode:/);
  t.match(problems, /regions\.2\.timeZone: must be an IANA time zone/);
  t.match(problems, /regions\.2\.adultAge:/);
  t.match(problems, /regions\.3\.rollout\.0\.from: must be a date yyyy-mm-dd/);
  t.match(problems, /regions\.3\.rollout\.0\.roles\.0:/);
  t.match(problems, /regions\.3: Unrecognized key: "adultAgee"/);
});

t.test('an empty table is refused', async (t) => {
  const result = parseRegionTable({ regions: [] });
  t.same(result.ok ? [] : result.problems, ['regions: must list at least one region']);
});
