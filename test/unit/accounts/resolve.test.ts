import t from 'tap';
import type { Resolution } from '../../../src/accounts/context.js';
import type { EsiaPerson } from '../../../src/esia/person.js';
import { parseRegionTable } from '../../../src/policy/region-schema.js';
import { createHarness, newSnils, uniqueEmail, type Harness, type ProfileSeed } from '../../helpers/accounts.js';
import { databaseBackends } from '../../helpers/backends.js';

/**
 * accounts.resolve(), one case per rule of the help pages and of docs/accounts.md, named after the passage
 * it encodes, on the real adapters. Each case builds its own profiles (unique SNILS, e-mail,
 * login), so cases share one database.
 */
interface Case {
  name: string;
  /** Profiles in the directory; `snils: 'same'` gets the person's SNILS, `email: 'same'` the person's e-mail. */
  profiles: Array<Omit<ProfileSeed, 'snils' | 'email'> & { snils?: string | null | 'same'; email?: string | null | 'same' }>;
  person: Partial<EsiaPerson> & { verifiedEmail?: boolean };
  region?: string;
  /** Links made before resolving: profile index → oid ('self' is this person). */
  linked?: Array<{ profile: number; to: 'self' | 'other'; isDefault?: boolean }>;
  expect: { kind: Resolution['kind']; reason?: string; detail?: string; method?: string; profile?: number; profiles?: number[]; defaultProfile?: number | undefined };
  /** Links of this person after resolving, by profile index. */
  links?: number[];
}

const child = { level: 'simplified' as const, birthDate: '2014-03-14', snils: undefined, snilsVerified: false, lastName: 'Петров', firstName: 'Андрей', middleName: 'Ильич' };
const childProfile = { lastName: 'Петров', firstName: 'Андрей', middleName: 'Ильич', birthDate: '2014-03-14', roles: ['student' as const] };
const adult = { level: 'standard' as const, snils: 'same-as-profile', snilsVerified: true };

const cases: Case[] = [
  { name: 'the ESIA-login help page «Совпадение ФИО и СНИЛС в учётных записях портала госуслуг и Дневник.ру»: linked automatically',
    profiles: [{ snils: 'same' }], person: adult, expect: { kind: 'linked', method: 'snils', profile: 0 }, links: [0] },
  { name: 'the ESIA-login help page «Совпадение ФИО»: case, ё/е, spaces and hyphens do not decide',
    profiles: [{ lastName: 'Елкина – Петрова', firstName: 'анна', middleName: 'СЕРГЕЕВНА', snils: 'same' }],
    person: { ...adult, lastName: 'ЁЛКИНА-петрова', firstName: '  Анна ', middleName: 'Сергеевна' }, expect: { kind: 'linked', profile: 0 }, links: [0] },
  { name: 'the ESIA-login help page «ФИО и СНИЛС в профилях Дневник.ру и портала госуслуг не совпадают»: the SNILS under another name',
    profiles: [{ lastName: 'Иванова', firstName: 'Марина', snils: 'same' }], person: adult, expect: { kind: 'deny', reason: 'name_snils_mismatch', detail: 'name_differs_for_snils' }, links: [] },
  { name: 'the ESIA-login help page «Примечание: если СНИЛС отсутствует в профиле Дневник.ру … связывание своих учетных записей вручную»',
    profiles: [{ snils: null }], person: adult, expect: { kind: 'manual-link' }, links: [] },
  { name: 'the Irkutsk page FAQ 2 «В профиле Дневник.ру отсутствует СНИЛС … пользователь должен выполнить привязку учётных записей вручную»: a teacher',
    profiles: [{ snils: null, roles: ['teacher'] }], person: adult, expect: { kind: 'manual-link' } },
  { name: 'rule «whose SNILS ESIA has verified»: an unverified SNILS identifies nobody',
    profiles: [{ snils: 'same' }], person: { ...adult, snilsVerified: false }, expect: { kind: 'manual-link' }, links: [] },
  { name: 'rule «SNILS is validated with its checksum before use»: a SNILS failing its checksum identifies nobody',
    profiles: [], person: { ...adult, snils: '112-233-445 96' }, expect: { kind: 'manual-link' } },
  { name: 'the ESIA-login help page «Учетная запись портала госуслуг ниже требуемого уровня»: refused before any lookup',
    profiles: [{ snils: 'same' }], person: { ...adult, level: 'simplified' }, expect: { kind: 'deny', reason: 'esia_level_too_low' }, links: [] },
  { name: 'the ESIA-login help page «Профиль пользователя … не привязан ни к одной образовательной организации»',
    profiles: [{ snils: 'same', schoolIds: [] }], person: adult, expect: { kind: 'deny', reason: 'profile_not_attached' }, links: [] },
  { name: 'the instruction for users over 14 «Зарегистрироваться в Дневник.ру и активировать свою учетную запись»: an adult profile never activated',
    profiles: [{ snils: 'same', activated: false }], person: adult, expect: { kind: 'deny', reason: 'profile_not_activated' }, links: [] },
  { name: 'the ESIA-login help page «Пользователям … из других регионов … стандартной формой авторизации»: not ESIA-enabled',
    region: '77', profiles: [{ snils: 'same', region: '77' }], person: adult, expect: { kind: 'deny', reason: 'region_not_enabled' }, links: [] },
  { name: 'the ESIA-login help page «Профиль пользователя в системе Дневник.ру отсутствует»: a profile of another region is not this login\'s',
    profiles: [{ snils: 'same', region: '38' }], person: adult, expect: { kind: 'manual-link' }, links: [] },
  { name: 'the Irkutsk page FAQ 1 «2 активные учётные записи (родитель и преподаватель) … выбрать нужную»: the chooser',
    profiles: [{ snils: 'same', roles: ['parent'] }, { snils: 'same', roles: ['teacher'], schoolIds: ['school-2'] }],
    person: adult, expect: { kind: 'choose', profiles: [0, 1], defaultProfile: undefined }, links: [] },
  { name: 'the Irkutsk page FAQ 1 «…при условии, что для всех учётных записей выполнены условия авторизации»: only the eligible one',
    profiles: [{ snils: 'same', roles: ['parent'] }, { snils: 'same', roles: ['teacher'], activated: false }],
    person: adult, expect: { kind: 'linked', profile: 0 }, links: [0] },
  { name: 'rule «an existing link … wins»',
    profiles: [{ snils: null }], linked: [{ profile: 0, to: 'self' }], person: adult, expect: { kind: 'linked', method: 'manual', profile: 0 }, links: [0] },
  { name: 'rule «the choice is remembered as the default next time»: the chooser preselects it',
    profiles: [{ snils: 'same' }, { snils: 'same', roles: ['teacher'] }], linked: [{ profile: 0, to: 'self' }, { profile: 1, to: 'self', isDefault: true }],
    person: adult, expect: { kind: 'choose', profiles: [1, 0], defaultProfile: 1 }, links: [0, 1] },
  { name: 'the ESIA-login help page «не привязан ни к одной образовательной организации»: a linked profile detached since',
    profiles: [{ snils: null, schoolIds: [] }], linked: [{ profile: 0, to: 'self' }], person: adult, expect: { kind: 'deny', reason: 'profile_not_attached' }, links: [0] },
  { name: 'rule «a linked ESIA account cannot be re-linked»: a profile linked to another ESIA account is not taken over',
    profiles: [{ snils: 'same' }], linked: [{ profile: 0, to: 'other' }], person: adult, expect: { kind: 'deny', reason: 'link_failed', detail: 'profile_linked_elsewhere' }, links: [] },
  { name: 'the Arkhangelsk login page «почта указанная при регистрации в ЕСИА внесена и подтверждена в профиле в Дневник.ру»: a minor linked by e-mail',
    profiles: [{ ...childProfile, email: 'same', emailConfirmed: true }], person: { ...child, verifiedEmail: true }, expect: { kind: 'linked', method: 'email', profile: 0 }, links: [0] },
  { name: 'the Arkhangelsk login page «…подтверждена в профиле»: an unconfirmed diary e-mail links nobody',
    profiles: [{ ...childProfile, email: 'same', emailConfirmed: false }], person: { ...child, verifiedEmail: true }, expect: { kind: 'manual-link' }, links: [] },
  { name: 'the Arkhangelsk login page «Шаг 2 … перейти по ссылке … для подтверждения электронной почты»: an e-mail ESIA has not verified links nobody',
    profiles: [{ ...childProfile, email: 'same', emailConfirmed: true }], person: { ...child, verifiedEmail: false }, expect: { kind: 'manual-link' }, links: [] },
  { name: 'the Arkhangelsk login page «данные о ФИО и электронной почте … совпадали»: the e-mail of someone else (a parent\'s on another profile)',
    profiles: [{ ...childProfile, firstName: 'Олег', email: 'same', emailConfirmed: true }], person: { ...child, verifiedEmail: true }, expect: { kind: 'manual-link' }, links: [] },
  { name: 'the ESIA-login help page «в Дневник.ру указана некорректная дата рождения»: name and e-mail agree, birth date does not',
    profiles: [{ ...childProfile, birthDate: '2014-03-15', email: 'same', emailConfirmed: true }], person: { ...child, verifiedEmail: true }, expect: { kind: 'deny', reason: 'name_birthdate_mismatch', detail: 'birth_date_differs' }, links: [] },
  { name: 'rule «name + birth date alone must never link anyone»: a Simplified account with the child\'s exact name and birth date',
    profiles: [{ ...childProfile, email: uniqueEmail(), emailConfirmed: true, snils: newSnils() }], person: { ...child }, expect: { kind: 'manual-link' }, links: [] },
  { name: 'rule «Age … from the matched diary profile» when ESIA has no birth date: a minor by the profile',
    profiles: [{ ...childProfile, email: 'same', emailConfirmed: true }], person: { ...child, birthDate: undefined, verifiedEmail: true }, expect: { kind: 'linked', method: 'email', profile: 0 }, links: [0] },
  { name: 'the ESIA-login help page «Для пользователей старше 14 лет … ниже требуемого уровня» with the age from the profile: a parent on a Simplified account',
    profiles: [{ email: 'same', emailConfirmed: true, roles: ['parent'] }], person: { level: 'simplified', birthDate: undefined, snilsVerified: false, verifiedEmail: true }, expect: { kind: 'deny', reason: 'esia_level_too_low' }, links: [] },
  { name: 'the ESIA-login help page «Наличие активированной учётной записи Дневник.ру» (младше 14 лет)',
    profiles: [{ ...childProfile, email: 'same', emailConfirmed: true, activated: false }], person: { ...child, verifiedEmail: true }, expect: { kind: 'deny', reason: 'profile_not_activated' }, links: [] },
  { name: 'the Ivanovo instruction «Для пользователей младше 18 лет … Связывание учётных записей» (Ivanovo): a 16-year-old does not match by SNILS',
    region: '37', profiles: [{ ...childProfile, birthDate: '2008-05-05', region: '37', snils: 'same' }], person: { ...child, birthDate: '2008-05-05', level: 'standard', snils: 'same-as-profile', snilsVerified: true }, expect: { kind: 'manual-link' }, links: [] },
  { name: 'the Ivanovo instruction «Для пользователей старше 18 лет … Совпадение ФИО и СНИЛС» (Ivanovo): an adult there does',
    region: '37', profiles: [{ region: '37', snils: 'same' }], person: adult, expect: { kind: 'linked', method: 'snils', profile: 0 }, links: [0] },
];

const closedStudents = parseRegionTable({ regions: [{ code: '52', name: 'Нижегородская область', loginHost: '52.dnevnik.ru', mode: 'esia_optional', closedTo: [{ roles: ['student'] }] }] });

for (const backend of databaseBackends()) {
  t.test(`resolve on ${backend.name}`, async (t) => {
    const handle = await backend.open();
    t.teardown(() => handle.close());
    const h = createHarness(handle);

    for (const c of cases) {
      t.test(c.name, async (t) => {
        const { person, profiles } = await arrange(h, c);
        const result = await h.accounts.resolve(person, h.ctx({ regionCode: c.region ?? '52' }));
        const { profile, profiles: expectedProfiles, defaultProfile, ...rest } = c.expect;
        t.match(result, rest);
        if (profile !== undefined) t.equal(result.kind === 'linked' && result.profile.id, profiles[profile]!.id, 'the expected profile');
        if (expectedProfiles) {
          t.same(result.kind === 'choose' && result.profiles.map((p) => p.id), expectedProfiles.map((i) => profiles[i]!.id), 'the expected choices');
          t.equal(result.kind === 'choose' && result.defaultProfileId, defaultProfile === undefined ? undefined : profiles[defaultProfile]!.id, 'the default');
        }
        if (c.links) t.same((await h.linksOf(person.oid)).map((l) => l.profile_id).sort(), c.links.map((i) => profiles[i]!.id).sort(), 'links stored');
      });
    }

    t.test('rule «a region may close ESIA to a role outright»: role_not_rolled_out after matching', async (t) => {
      const table = closedStudents.ok ? closedStudents.table : t.fail('table') as never;
      const snils = newSnils();
      await h.profile({ ...childProfile, birthDate: '2005-01-01', snils });
      const person = h.person({ ...child, birthDate: '2005-01-01', level: 'standard', snils, snilsVerified: true });
      t.match(await h.accounts.resolve(person, h.ctx({ regions: table })), { kind: 'deny', reason: 'role_not_rolled_out', detail: 'role_closed' });
    });

    t.test('the Irkutsk page FAQ 1 «можете выбрать в какую именно учётную запись»: choosing links all, remembers the pick, audits', async (t) => {
      const snils = newSnils();
      const parent = await h.profile({ snils, roles: ['parent'] });
      const teacher = await h.profile({ snils, roles: ['teacher'], schoolIds: ['school-7'] });
      const person = h.person({ ...adult, snils });
      t.match(await h.accounts.resolve(person, h.ctx()), { kind: 'choose', defaultProfileId: undefined });
      t.match(await h.accounts.chooseProfile(person, 'p-not-offered', h.ctx()), { kind: 'deny', reason: 'link_failed', detail: 'not_a_choice' });
      t.same(await h.linksOf(person.oid), [], 'a forged choice links nothing');
      t.match(await h.accounts.chooseProfile(person, teacher.id, h.ctx()), { kind: 'linked', profile: { id: teacher.id }, method: 'snils' });
      t.same(await h.linksOf(person.oid), [parent, teacher].map((p) => ({ profile_id: p.id, method: 'snils', is_default: p === teacher })).sort((a, b) => a.profile_id.localeCompare(b.profile_id)));
      t.match(await h.accounts.resolve(person, h.ctx()), { kind: 'choose', defaultProfileId: teacher.id }, 'next time: preselected');
      t.match(await h.accounts.chooseProfile(person, parent.id, h.ctx()), { kind: 'linked', profile: { id: parent.id } });
      t.match(await h.accounts.resolve(person, h.ctx()), { kind: 'choose', defaultProfileId: parent.id }, 'the new pick is remembered');
      const audit = await h.auditOf(person.oid);
      t.same(audit.map((a) => [a.action, a.target]), [['link.create', teacher.id], ['link.default', parent.id]]);
    });
  });
}

async function arrange(h: Harness, c: Case) {
  const snils = newSnils();
  const email = uniqueEmail();
  const profiles = [];
  for (const seed of c.profiles) {
    profiles.push(await h.profile({ ...seed, snils: seed.snils === 'same' ? snils : seed.snils, email: seed.email === 'same' ? email : seed.email }));
  }
  const { verifiedEmail, ...fields } = c.person;
  const person = h.person({
    ...fields,
    snils: fields.snils === 'same-as-profile' ? snils : fields.snils,
    emails: verifiedEmail === undefined ? [] : [{ value: email.toUpperCase(), verified: verifiedEmail }],
  });
  for (const link of c.linked ?? []) {
    const oid = link.to === 'self' ? person.oid : `other-${person.oid}`;
    await h.db.insertInto('account_links').values({ esia_oid: oid, profile_id: profiles[link.profile]!.id, method: 'manual', is_default: link.isDefault ?? false }).execute();
  }
  return { person, profiles };
}
