import t from 'tap';
import { decide, type Decision, type PersonFacts } from '../../../src/policy/decide.js';
import { regionPolicy } from '../../../src/policy/region-schema.js';
import type { Role } from '../../../src/policy/roles.js';
import { confirmedAdult, region, shipped, simplifiedAdult, simplifiedChild, standardAdult } from '../../helpers/seed-regions.js';

/**
 * Every rule and failure reason of the help pages, one case each, named after the passage it
 * encodes. Decisions run against the shipped config/regions.json unless a case builds its own.
 */
interface Case {
  name: string;
  region: string | ReturnType<typeof regionPolicy>;
  facts: PersonFacts;
  roles: Role[] | undefined;
  today: string;
  expect: Partial<Decision>;
}

const TODAY = '2024-09-01';
const allow = (access: 'esia_only' | 'esia_optional' = 'esia_optional'): Partial<Decision> => ({ kind: 'allow', access });
const deny = (reason: string, detail?: string): Partial<Decision> => ({ kind: 'deny', reason, ...(detail ? { detail } : {}) } as Partial<Decision>);

const ENABLED = ['01', '02', '05', '10', '15', '28', '29', '30', '36', '38', '43', '47', '52', '53', '54', '55', '56', '64', '66', '68', '78', '79', '87', '91', '92'];

const cases: Case[] = [
  ...ENABLED.map((code): Case => ({
    name: `the ESIA-login help page «Вход в Дневник.ру с помощью учетной записи портала госуслуг доступен пользователям из следующих регионов»: ${code}`,
    region: code, facts: standardAdult, roles: ['teacher'], today: TODAY, expect: { kind: 'allow' },
  })),
  { name: 'the ESIA-login help page «Пользователям Дневник.ру из других регионов предлагается пользоваться стандартной формой авторизации»: Moscow (77) is refused',
    region: '77', facts: standardAdult, roles: ['parent'], today: TODAY, expect: deny('region_not_enabled', 'region_not_listed') },
  { name: 'the ESIA-login help page «Для пользователей старше 14 лет: Наличие Стандартной … учётной записи»',
    region: '52', facts: standardAdult, roles: ['parent'], today: TODAY, expect: allow() },
  { name: 'the ESIA-login help page «Для пользователей старше 14 лет: Наличие … Подтверждённой учётной записи»',
    region: '52', facts: confirmedAdult, roles: ['teacher'], today: TODAY, expect: allow() },
  { name: 'the ESIA-login help page «Для пользователей старше 14 лет: Учетная запись портала госуслуг ниже требуемого уровня»',
    region: '52', facts: simplifiedAdult, roles: ['parent'], today: TODAY, expect: deny('esia_level_too_low', 'level_below_adult_requirement') },
  { name: 'the ESIA-login help page «Для пользователей младше 14 лет: Наличие Упрощённой учётной записи»',
    region: '52', facts: simplifiedChild, roles: ['student'], today: TODAY, expect: { kind: 'allow', ageBand: 'minor', age: 10 } },
  { name: 'the ESIA-login help page «старше 14 лет»: on the 14th birthday the adult rules apply (passport at 14), Simplified is refused',
    region: '66', facts: { level: 'simplified', birthDate: '2010-09-01', isChild: undefined }, roles: ['student'], today: TODAY, expect: deny('esia_level_too_low') },
  { name: 'the ESIA-login help page «младше 14 лет»: the day before the 14th birthday the minor rules apply',
    region: '66', facts: { level: 'simplified', birthDate: '2010-09-02', isChild: undefined }, roles: ['student'], today: TODAY, expect: { kind: 'allow', ageBand: 'minor', age: 13 } },
  { name: 'the ESIA-login help page «старше 14 лет»: born on 29 February, 14 on 28 February of a common year',
    region: '66', facts: { level: 'simplified', birthDate: '2008-02-29', isChild: undefined }, roles: ['student'], today: '2022-02-28', expect: deny('esia_level_too_low') },
  { name: 'the ESIA-login help page «младше 14 лет»: born on 29 February, still 13 on 27 February of a common year',
    region: '66', facts: { level: 'simplified', birthDate: '2008-02-29', isChild: undefined }, roles: ['student'], today: '2022-02-27', expect: { kind: 'allow', ageBand: 'minor' } },
  { name: 'the Ivanovo instruction «Для пользователей старше 18 лет: Наличие Стандартной или Подтверждённой учётной записи» (Ivanovo)',
    region: '37', facts: { level: 'simplified', birthDate: '2006-08-31', isChild: undefined }, roles: ['student'], today: TODAY, expect: deny('esia_level_too_low', 'level_below_adult_requirement') },
  { name: 'the Ivanovo instruction «Для пользователей младше 18 лет: Наличие учетной записи на портале госуслуг» (Ivanovo): a 16-year-old with a Simplified account',
    region: '37', facts: { level: 'simplified', birthDate: '2008-05-05', isChild: undefined }, roles: ['student'], today: TODAY, expect: { kind: 'allow', ageBand: 'minor', age: 16 } },
  { name: 'the ESIA-login help page vs the Ivanovo instruction: the same 16-year-old Simplified account is an adult in Irkutsk and is refused there',
    region: '38', facts: { level: 'simplified', birthDate: '2008-05-05', isChild: undefined }, roles: ['student'], today: TODAY, expect: deny('esia_level_too_low') },
  { name: 'the Ivanovo instruction «пользователи до 18 лет должны быть зарегистрированы из родительского профиля или прикреплены к нему»: off by default (ESIA child marker unconfirmed)',
    region: '37', facts: { level: 'simplified', birthDate: '2012-01-01', isChild: undefined }, roles: ['student'], today: TODAY, expect: { kind: 'allow' } },
  { name: 'the Ivanovo instruction «…зарегистрированы из родительского профиля или прикреплены к нему»: when enabled, a minor without the child marker is refused',
    region: regionPolicy({ code: '37', name: 'Ивановская область', loginHost: '37.dnevnik.ru', mode: 'esia_optional', adultAge: 18, minorsNeedChildAccount: true }),
    facts: { level: 'simplified', birthDate: '2012-01-01', isChild: undefined }, roles: ['student'], today: TODAY, expect: deny('esia_level_too_low', 'not_a_child_account') },
  { name: 'the Ivanovo instruction «…зарегистрированы из родительского профиля или прикреплены к нему»: when enabled, a child account attached to a parent enters',
    region: regionPolicy({ code: '37', name: 'Ивановская область', loginHost: '37.dnevnik.ru', mode: 'esia_optional', adultAge: 18, minorsNeedChildAccount: true }),
    facts: { level: 'simplified', birthDate: '2012-01-01', isChild: true }, roles: ['student'], today: TODAY, expect: { kind: 'allow', ageBand: 'minor' } },
  { name: 'the Ivanovo instruction «Для пользователей старше 18 лет»: the child-account rule never applies to adults',
    region: regionPolicy({ code: '37', name: 'Ивановская область', loginHost: '37.dnevnik.ru', mode: 'esia_optional', adultAge: 18, minorsNeedChildAccount: true }),
    facts: standardAdult, roles: ['parent'], today: TODAY, expect: allow() },
  { name: 'the Arkhangelsk login page «Для Вашего региона вход в систему возможен только через госуслуги» (Arkhangelsk 29)',
    region: '29', facts: standardAdult, roles: ['parent'], today: TODAY, expect: allow('esia_only') },
  { name: 'the Arkhangelsk login page «Вход в Дневник.ру через ЕСИА. Необходимые условия для пользователей младше 14 лет: Зарегистрировать Упрощённую учётную запись»',
    region: '29', facts: simplifiedChild, roles: ['student'], today: TODAY, expect: allow('esia_only') },
  { name: 'the Arkhangelsk login page «Пользователям старше 14 лет необходима Стандартная или Подтвержденная учётная запись ЕСИА»',
    region: '29', facts: simplifiedAdult, roles: ['teacher'], today: TODAY, expect: deny('esia_level_too_low') },
  { name: 'the instruction for users over 14 «только при наличии учетной записи второго («Стандартная учетная запись») или третьего («Подтвержденная учетная запись») уровня»',
    region: '29', facts: { level: 'simplified', birthDate: '2009-01-01', isChild: undefined }, roles: ['student'], today: TODAY, expect: deny('esia_level_too_low') },
  { name: 'the Irkutsk page «ГРАФИК ПЕРЕХОДА: с 01.12.2018 г. Сотрудники ОО»: the day before, ESIA is allowed next to the password form',
    region: '38', facts: standardAdult, roles: ['teacher'], today: '2018-11-30', expect: allow('esia_optional') },
  { name: 'the Irkutsk page «ГРАФИК ПЕРЕХОДА: с 01.12.2018 г. Сотрудники ОО»: from the date, ESIA only',
    region: '38', facts: standardAdult, roles: ['staff', 'admin'], today: '2018-12-01', expect: allow('esia_only') },
  { name: 'the Irkutsk page «ГРАФИК ПЕРЕХОДА: с 01.12.2018 г. Обучающиеся ОО (старше 14 лет)»',
    region: '38', facts: { level: 'standard', birthDate: '2003-04-04', isChild: undefined }, roles: ['student'], today: '2018-12-01', expect: allow('esia_only') },
  { name: 'the Irkutsk page «Обучающиеся ОО (старше 14 лет)»: students under 14 keep the password form and may still use ESIA',
    region: '38', facts: { level: 'simplified', birthDate: '2008-04-04', isChild: undefined }, roles: ['student'], today: '2018-12-01', expect: allow('esia_optional') },
  { name: 'the Irkutsk page «ГРАФИК ПЕРЕХОДА: с 01.12.2018 г. Родители»',
    region: '38', facts: standardAdult, roles: ['parent'], today: '2019-03-01', expect: allow('esia_only') },
  { name: 'the Irkutsk page «Пользователи младше 14 лет могут получить только Упрощённую учётную запись» (Irkutsk)',
    region: '38', facts: simplifiedChild, roles: ['student'], today: TODAY, expect: { kind: 'allow', ageBand: 'minor' } },
  { name: 'rule «a region may close ESIA to a role outright, and only then is it refused with role_not_rolled_out»',
    region: regionPolicy({ code: '99', name: 'Тестовый регион', loginHost: '99.dnevnik.ru', mode: 'esia_optional', closedTo: [{ roles: ['student'], ageBand: 'minor' }] }),
    facts: simplifiedChild, roles: ['student'], today: TODAY, expect: deny('role_not_rolled_out', 'role_closed') },
  { name: 'rule «close ESIA to a role»: one closed role of a combined profile is enough (its rights would enter the diary)',
    region: regionPolicy({ code: '99', name: 'Тестовый регион', loginHost: '99.dnevnik.ru', mode: 'esia_only', closedTo: [{ roles: ['admin'] }] }),
    facts: standardAdult, roles: ['teacher', 'admin'], today: TODAY, expect: deny('role_not_rolled_out', 'role_closed') },
  { name: 'rule «close ESIA to a role»: other roles of that region still enter',
    region: regionPolicy({ code: '99', name: 'Тестовый регион', loginHost: '99.dnevnik.ru', mode: 'esia_only', closedTo: [{ roles: ['admin'] }] }),
    facts: standardAdult, roles: ['teacher', 'parent'], today: TODAY, expect: allow('esia_only') },
  { name: 'rule «mode off»: a listed region switched off is not ESIA-enabled',
    region: regionPolicy({ code: '99', name: 'Тестовый регион', loginHost: '99.dnevnik.ru', mode: 'off' }),
    facts: standardAdult, roles: ['teacher'], today: TODAY, expect: deny('region_not_enabled', 'region_off') },
  { name: 'rule «Age is computed … from the ESIA birth date (or … from the matched diary profile)»: with neither, the adult rules apply',
    region: '52', facts: { level: 'simplified', birthDate: undefined, isChild: undefined }, roles: ['student'], today: TODAY, expect: deny('esia_level_too_low') },
  { name: 'rule «before matching» (roles unknown): role rules wait, the level rule already applies',
    region: '38', facts: simplifiedAdult, roles: undefined, today: TODAY, expect: deny('esia_level_too_low') },
  { name: 'rule «before matching» (roles unknown): an eligible person passes',
    region: '38', facts: standardAdult, roles: undefined, today: TODAY, expect: allow('esia_optional') },
  { name: 'rule «roles»: a profile with no role at all has nothing ESIA is open to',
    region: '38', facts: standardAdult, roles: [], today: TODAY, expect: deny('role_not_rolled_out', 'no_roles') },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const policy = typeof c.region === 'string' ? shipped.get(c.region) : c.region;
    const decision = decide(policy, c.facts, c.roles, c.today);
    t.match(decision, c.expect);
    if (decision.kind === 'deny') t.notOk('access' in decision, 'a denial carries no access');
  });
}

t.test('decisions are values: an unknown region never throws', async (t) => {
  t.doesNotThrow(() => decide(undefined, standardAdult, ['teacher'], TODAY));
  t.equal(region('38').adultAge, 14);
});
