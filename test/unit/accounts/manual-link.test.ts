import t from 'tap';
import type { ManualLinkResult } from '../../../src/accounts/context.js';
import type { EsiaPerson } from '../../../src/esia/person.js';
import { createHarness, newSnils, type ProfileSeed } from '../../helpers/accounts.js';
import { databaseBackends } from '../../helpers/backends.js';

/**
 * accounts.manualLink(): the diary login + password page (the ESIA-login help page, the Ivanovo instruction, the Irkutsk page FAQ 2), one
 * case per rule, named after the passage it encodes. A rule that refuses after the right
 * password answers exactly like a wrong password (the same attempts left): a distinct answer
 * would tell a guesser the password was right. Its reason is kept in the audit row.
 */
interface Case {
  name: string;
  profile: Omit<ProfileSeed, 'snils'> & { snils?: string | null | 'same' | 'other' };
  person: Partial<EsiaPerson> & { snils?: string | 'same' };
  /** What the person types: the right password unless told. */
  password?: 'right' | 'wrong';
  loginAs?: (login: string) => string;
  region?: string;
  expect: Partial<ManualLinkResult>;
  linked: boolean;
  /** The audit row's outcome, reason and detail when they are not what `expect` says. */
  audit?: { outcome: string; reason: string; details?: { detail: string } };
}

/** A refusal after the right password: shown as a wrong password, audited with its reason. */
const hidden = (reason: string, detail?: string): Pick<Case, 'expect' | 'audit'> => ({
  expect: { kind: 'invalid-credentials', attemptsLeft: 4 },
  audit: { outcome: 'refused', reason, ...(detail ? { details: { detail } } : {}) },
});

const child = { lastName: 'Петров', firstName: 'Андрей', middleName: 'Ильич', birthDate: '2014-03-14' };
const childPerson: Partial<EsiaPerson> = { ...child, level: 'simplified', snilsVerified: false };
const adultPerson: Partial<EsiaPerson> & { snils: 'same' } = { level: 'standard', snils: 'same', snilsVerified: true };

const cases: Case[] = [
  { name: 'the Irkutsk page FAQ 2 «отсутствует СНИЛС … выполнить привязку учётных записей вручную»: an adult links with the diary password',
    profile: { snils: null, roles: ['teacher'] }, person: adultPerson, expect: { kind: 'linked', method: 'manual' }, linked: true },
  { name: 'the Ivanovo instruction «В случае отсутствия СНИЛС … ввести Ваши логин и пароль … для ручного связывания»',
    region: '37', profile: { snils: null, region: '37' }, person: adultPerson, expect: { kind: 'linked' }, linked: true },
  { name: 'the ESIA-login help page «Для пользователей младше 14 лет: Связывание учётных записей»: a child with a Simplified account',
    profile: { ...child, roles: ['student'] }, person: childPerson, expect: { kind: 'linked', method: 'manual' }, linked: true },
  { name: 'the Arkhangelsk login page «Внести сведения о фамилии и имени»: a Simplified account without birth date links on the name, the age from the profile',
    profile: { ...child, roles: ['student'] }, person: { ...childPerson, birthDate: undefined }, expect: { kind: 'linked' }, linked: true },
  { name: 'the ESIA-login help page «в Дневник.ру указана некорректная дата рождения»: right password, birth date differs',
    profile: { ...child, birthDate: '2014-04-14', roles: ['student'] }, person: childPerson, ...hidden('name_birthdate_mismatch', 'birth_date_differs'), linked: false },
  { name: 'the ESIA-login help page «в Дневник.ру указана некорректная дата рождения»: right password, no birth date in the diary',
    profile: { ...child, birthDate: null, roles: ['student'] }, person: childPerson, ...hidden('name_birthdate_mismatch', 'birth_date_missing'), linked: false },
  { name: 'the ESIA-login help page «Для пользователей младше 14 лет: ФИО … не совпадают»: right password, the child\'s name differs',
    profile: { ...child, firstName: 'Антон', roles: ['student'] }, person: childPerson, ...hidden('name_birthdate_mismatch', 'name_differs'), linked: false },
  { name: 'the ESIA-login help page «Для пользователей старше 14 лет: ФИО и СНИЛС … не совпадают»: an adult whose diary has no SNILS and another surname',
    profile: { lastName: 'Иванова', firstName: 'Ольга', middleName: 'Петровна', birthDate: '1985-06-15', snils: null, roles: ['parent'] },
    person: { ...adultPerson, lastName: 'Сидорова', firstName: 'Ольга', middleName: 'Петровна', birthDate: '1985-06-15' }, ...hidden('name_snils_mismatch', 'name_differs'), linked: false },
  { name: 'the ESIA-login help page «Для пользователей старше 14 лет: ФИО и СНИЛС … не совпадают»: a parent with the child\'s password on the parent\'s own ESIA account',
    profile: { ...child, roles: ['student'] }, person: { level: 'standard', snils: 'same', snilsVerified: true, firstName: 'Илья', lastName: 'Петров', middleName: 'Сергеевич', birthDate: '1980-01-01' }, ...hidden('name_snils_mismatch', 'name_differs'), linked: false },
  { name: 'rule «an adult whose diary profile holds a different SNILS is refused with name_snils_mismatch even with the right password»',
    profile: { snils: 'other' }, person: adultPerson, ...hidden('name_snils_mismatch', 'snils_differs'), linked: false },
  { name: 'the instruction for users over 14 «активировать свою учетную запись»: right password, profile not activated',
    profile: { snils: null, activated: false }, person: adultPerson, ...hidden('profile_not_activated'), linked: false },
  { name: 'the ESIA-login help page «не привязан ни к одной образовательной организации»: right password, no school',
    profile: { snils: null, schoolIds: [] }, person: adultPerson, ...hidden('profile_not_attached'), linked: false },
  { name: 'the ESIA-login help page «Профиль … отсутствует»: the login belongs to another region\'s diary',
    profile: { snils: null, region: '38' }, person: adultPerson, ...hidden('profile_not_found', 'profile_in_other_region'), linked: false },
  { name: 'the Irkutsk page «ниже требуемого уровня»: an adult diary profile on a Simplified account without birth date',
    profile: { snils: null }, person: { level: 'simplified', birthDate: undefined, snilsVerified: false }, ...hidden('esia_level_too_low'), linked: false },
  { name: 'the Irkutsk page «Забыли логин или пароль?»: a wrong password',
    profile: { snils: null }, person: adultPerson, password: 'wrong', expect: { kind: 'invalid-credentials', attemptsLeft: 4 }, linked: false },
  { name: 'the Irkutsk page «Забыли логин или пароль?»: an unknown login is indistinguishable',
    profile: { snils: null }, person: adultPerson, loginAs: (login) => `${login}-nobody`, expect: { kind: 'invalid-credentials', attemptsLeft: 4 }, linked: false },
  { name: 'diary logins ignore case and surrounding spaces',
    profile: { snils: null }, person: adultPerson, loginAs: (login) => `  ${login.toUpperCase()} `, expect: { kind: 'linked' }, linked: true },
  { name: 'the ESIA-login help page «Пользователям … из других регионов»: not ESIA-enabled, nothing is checked',
    region: '77', profile: { snils: null, region: '77' }, person: adultPerson, expect: { kind: 'deny', reason: 'region_not_enabled' }, linked: false },
];

for (const backend of databaseBackends()) {
  t.test(`manual link on ${backend.name}`, async (t) => {
    const handle = await backend.open();
    t.teardown(() => handle.close());
    const h = createHarness(handle);

    for (const c of cases) {
      t.test(c.name, async (t) => {
        const snils = newSnils();
        const seedSnils = c.profile.snils === 'same' ? snils : c.profile.snils === 'other' ? newSnils() : c.profile.snils;
        const profile = await h.profile({ ...c.profile, snils: seedSnils });
        const person = h.person({ ...c.person, snils: c.person.snils === 'same' ? snils : c.person.snils });
        const login = c.loginAs ? c.loginAs(profile.login) : profile.login;
        const password = c.password === 'wrong' ? `${profile.password}x` : profile.password;
        const result = await h.accounts.manualLink(person, { login, password, ip: '203.0.113.7' }, h.ctx({ regionCode: c.region ?? '52' }));
        t.match(result, c.expect);
        if (result.kind === 'linked') t.equal(result.profile.id, profile.id);
        const links = await h.linksOf(person.oid);
        t.same(links, c.linked ? [{ profile_id: profile.id, method: 'manual', is_default: false }] : [], 'links stored');
        const audit = await h.auditOf(person.oid);
        t.equal(audit.length, 1, 'the attempt is audited once');
        t.match(audit[0], { action: 'link.manual_attempt', region: c.region ?? '52', outcome: c.expect.kind === 'linked' ? 'linked' : /./, ...c.audit });
        const row = JSON.stringify(audit);
        for (const secret of [password, profile.login, snils, snils.replace(/\D/g, ''), person.lastName]) t.notOk(row.includes(secret), 'no personal data or secret in the audit row');
      });
    }
  });
}
