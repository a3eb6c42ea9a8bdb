import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { refusalPage } from '../../../src/http/pages/refusal-page.js';
import { refusalSituation } from '../../../src/http/login/refusal-situation.js';
import { REASON_CODES } from '../../../src/policy/reasons.js';
import { parseRegionTable, type RegionPolicy, type RegionPolicyInput } from '../../../src/policy/region-schema.js';
import { localDate } from '../../../src/policy/age.js';
import { accessFor } from '../../../src/policy/access.js';
import { ROLES, type AgeBand } from '../../../src/policy/roles.js';

/**
 * Every refusal page, for every reason × every region × every age band, read as a person reads
 * it, and checked against the region table itself (not against the code that wrote the page):
 * the age numbers are the region's threshold, the only region and login page named are the
 * person's own, ESIA-only regions do not offer the password form and the others do, and the
 * level page names the levels the region asks of that age band.
 */
const shipped = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'config', 'regions.json'), 'utf8')) as { regions: RegionPolicyInput[] };
// Rules the shipped table does not use yet, so they are rendered too.
const extra: RegionPolicyInput[] = [
  { code: '95', name: 'Тестовая область с закрытыми ролями', loginHost: '95.diary.test', mode: 'esia_optional', closedTo: [{ roles: ['admin', 'staff'] }] },
  { code: '96', name: 'Тестовая область с детскими записями', loginHost: '96.diary.test', mode: 'esia_optional', adultAge: 16, minorsNeedChildAccount: true, requiredLevels: { adult: ['confirmed'], minor: ['standard', 'confirmed'] } },
  { code: '97', name: 'Тестовая выключенная область', loginHost: '97.diary.test', mode: 'off' },
  { code: '98', name: 'Тестовый край с частичным переходом', loginHost: '98.diary.test', mode: 'esia_optional', timeZone: 'Asia/Vladivostok', rollout: [{ from: '2020-01-01', roles: ['teacher'] }] },
];
const parsed = parseRegionTable({ regions: [...shipped.regions, ...extra] });
if (!parsed.ok) throw new Error(parsed.problems.join('; '));
const table = parsed.table;
const regions = [...table.regions.values()];
const now = new Date('2026-11-30T09:00:00Z');
const BANDS = ['adult', 'minor', 'unknown'] as const;

/** The page as text: tags dropped, entities decoded. */
function text(page: string): string {
  const body = page.replace(/^[\s\S]*<body>/, '').replace(/<[^>]+>/g, ' ');
  return body.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').replace(/\s+/g, ' ');
}

/** What the person's group may do, from the table: the password form for everyone, no one, or some. */
function passwordForm(region: Readonly<RegionPolicy>, band: AgeBand): 'all' | 'none' | 'some' {
  const today = localDate(now, region.timeZone);
  const form = ROLES.map((role) => accessFor(region, role, band, today) !== 'esia_only');
  return form.every(Boolean) ? 'all' : form.some(Boolean) ? 'some' : 'none';
}

const LEVEL = { simplified: 'Упрощённая', standard: 'Стандартная', confirmed: 'Подтверждённая' } as const;
/** Reasons whose page says whether the password form is a way in. */
const SAYS_PASSWORD_FORM = new Set(['region_not_enabled', 'role_not_rolled_out', 'esia_level_too_low', 'esia_unavailable', 'name_snils_mismatch', 'name_birthdate_mismatch']);
/** Reasons whose page names the person's region. */
const NAMES_REGION = new Set(['region_not_enabled', 'role_not_rolled_out', 'esia_level_too_low']);

for (const code of REASON_CODES) {
  t.test(code, async (t) => {
    for (const region of [...regions, undefined]) {
      for (const band of BANDS) {
        const where = `${code} · ${region?.code ?? 'not in the table'} · ${band}`;
        const facts = band === 'unknown' ? {} : { ageBand: band, age: band === 'adult' ? 40 : 8 };
        const page = text(refusalPage(code, { backUrl: 'https://diary.test/cb?error=access_denied', situation: refusalSituation(table, region?.code ?? '99', now, facts) }));

        t.notMatch(page, /старше/, `${where}: thresholds are «с N лет», never «старше»`);
        t.notMatch(page, /Тинькофф/, `${where}: the bank is Т-Банк`);
        t.notMatch(page, /undefined|NaN|\[object/, `${where}: no holes`);

        const ages = [...page.matchAll(/(?:с|младше|меньше) (\d+) лет/g)].map((m) => Number(m[1]));
        if (region) t.same([...new Set(ages)].filter((age) => age !== region.adultAge), [], `${where}: every age named is the region's ${region.adultAge}`);
        else t.same([...new Set(ages)].filter((age) => age !== 14 && age !== 18), [], `${where}: without a region, only the general 14 (18 in some regions)`);

        // One assertion per page for all other regions (one each made 66,000 assertions, and
        // tap's reporting of them, not the check, was most of this file's time).
        const others = regions.filter((other) => other !== region);
        t.same(others.filter((other) => page.includes(other.name)).map((other) => other.name), [], `${where}: names no other region`);
        t.same(others.filter((other) => page.includes(other.loginHost)).map((other) => other.loginHost), [], `${where}: sends to no other region's login page`);
        const urls = [...page.matchAll(/https?:\/\/[^\s)]+/g)].map((m) => m[0].replace(/[.,;:]$/, ''));
        t.same(urls.filter((url) => url !== `https://${region?.loginHost}` && url !== 'https://diary.test/cb?error=access_denied'), [], `${where}: the only login page named is the region's`);

        if (region && NAMES_REGION.has(code)) t.ok(page.includes(region.name), `${where}: names the region`);
        if (region && SAYS_PASSWORD_FORM.has(code)) {
          const form = region.mode === 'off' ? 'all' : passwordForm(region, band === 'minor' ? 'minor' : 'adult');
          const onlyEsia = page.includes('только через госуслуги');
          const offersForm = page.includes(`https://${region.loginHost}`);
          if (form === 'all') {
            t.ok(offersForm && !onlyEsia, `${where}: offers the region's password form`);
          } else if (form === 'none') {
            t.ok(onlyEsia && !offersForm, `${where}: ESIA only, no password form offered`);
          } else {
            t.ok(onlyEsia && offersForm, `${where}: says for whom the password form stays`);
          }
        }
        if (region && code === 'esia_level_too_low') {
          const levels = region.requiredLevels[band === 'minor' ? 'minor' : 'adult'];
          for (const level of levels) t.ok(page.includes(LEVEL[level]), `${where}: names ${LEVEL[level]}`);
          t.equal(page.includes(`${band === 'minor' ? 'младше' : 'с'} ${region.adultAge} лет`), true, `${where}: names the band's threshold`);
          const childAccount = band === 'minor' && region.minorsNeedChildAccount;
          t.equal(/профил[яе] родителя/.test(page), childAccount, `${where}: the child-account rule only where it applies`);
          t.equal(page.includes('МФЦ'), !levels.includes('simplified'), `${where}: how to raise the level only when the band needs more than Simplified`);
        }
      }
    }
  });
}

t.test('the pages people complained about', async (t) => {
  const irkutskAdult = text(refusalPage('esia_level_too_low', { situation: refusalSituation(table, '38', now, { ageBand: 'adult', age: 14 }) }));
  t.match(irkutskAdult, 'В вашем регионе (Иркутская область) пользователям с 14 лет для входа в электронный дневник через госуслуги нужна Стандартная или Подтверждённая учётная запись');
  t.notMatch(irkutskAdult, /Ивановск/, 'no Ivanovo bullet in Irkutsk');
  t.match(irkutskAdult, 'Сбербанк, Т-Банк, Почта Банк');
  t.match(irkutskAdult, 'В вашем регионе (Иркутская область) вход в электронный дневник возможен только через госуслуги.', 'adults in Irkutsk: ESIA only since 2018-12-01');

  const ivanovo = text(refusalPage('esia_level_too_low', { situation: refusalSituation(table, '37', now, { ageBand: 'adult', age: 30 }) }));
  t.match(ivanovo, 'пользователям с 18 лет');
  t.match(ivanovo, 'https://37.dnevnik.ru', 'Ivanovo keeps the password form');

  const unknownAge = text(refusalPage('esia_level_too_low', { situation: refusalSituation(table, '38', now, {}) }));
  t.match(unknownAge, 'Портал госуслуг не сообщил дату вашего рождения, поэтому действуют правила для пользователей с 14 лет');
  t.match(unknownAge, 'Если вам меньше 14 лет, укажите дату рождения');

  const closed = text(refusalPage('role_not_rolled_out', { situation: refusalSituation(table, '95', now, { ageBand: 'adult', age: 40, roles: ['admin'] }) }));
  t.match(closed, 'для пользователей с ролью «администратор» ещё не открыт');
  t.match(closed, 'https://95.diary.test', 'a closed group keeps the password form');
});
