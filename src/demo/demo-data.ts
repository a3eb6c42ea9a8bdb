import type { Role } from '../accounts/directory.js';
import type { ReasonCode } from '../policy/reasons.js';

/**
 * What the demo diary holds for the ESIA emulator's personas (config/esia-personas.json), and
 * what each persona is expected to see. One table feeds the seed, the printed guide, the
 * README table and the browser tests, so none of them can drift from the others.
 */
export const DEMO_REGION = '38';
/** Every demo login has this password (printed; development only). */
export const DEMO_PASSWORD = 'demo-diary-2024';

/** The demo's school directory: imported by the seed, so the broker's pages show names. */
export const DEMO_SCHOOL_DIRECTORY = [
  { id: '38-0007', full_name: 'Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная школа № 7» г. Иркутска', short_name: 'МБОУ «СОШ № 7»', municipality: 'Иркутск', region: DEMO_REGION },
  { id: '38-0012', full_name: 'Муниципальное автономное общеобразовательное учреждение «Лицей № 12» г. Иркутска', short_name: 'МАОУ «Лицей № 12»', municipality: 'Иркутск', region: DEMO_REGION },
] as const;

/** The demo diary's own names for its schools (a diary knows them; the claims carry ids). */
export const DEMO_SCHOOLS: Readonly<Record<string, string>> = Object.fromEntries(DEMO_SCHOOL_DIRECTORY.map((s) => [s.id, `${s.short_name}, ${s.municipality}`]));

export interface DemoProfile {
  id: string;
  login: string;
  lastName: string;
  firstName: string;
  middleName: string;
  /** yyyy-mm-dd */
  birthDate: string;
  /** Clear SNILS (fictitious, valid checksum); stored only as its HMAC. */
  snils?: string;
  email?: string;
  roles: Role[];
  schoolIds: string[];
  /** A pupil's class (shown on the chooser and in the demo diary). */
  classes?: string[];
}

/** What the person ends up seeing. */
export type DemoOutcome =
  | { kind: 'diary'; roles: Role[] }
  | { kind: 'refusal'; reason: ReasonCode }
  /** Refused after the right diary password: the form answers as for a wrong one, the audit names the reason. */
  | { kind: 'link-refused'; audited: ReasonCode };

export interface DemoScenario {
  /** Stable key, used by the tests. */
  key: string;
  oid: string;
  name: string;
  /** The ESIA account as the emulator presents it. */
  account: string;
  /** «Отказать» instead of «Предоставить» on the consent page. */
  consent: 'grant' | 'deny';
  /** Steps on the broker's pages between ESIA and the result. */
  via?: { kind: 'chooser'; pick: Role } | { kind: 'manual-link'; login: string };
  outcome: DemoOutcome;
  /** One line for the guide: why this happens. */
  why: string;
  profiles: DemoProfile[];
}

const school7 = ['38-0007'];
const lyceum12 = ['38-0012'];

export const DEMO_SCENARIOS: readonly DemoScenario[] = [
  {
    key: 'adult-standard', oid: '1000000101', name: 'Смирнова Елена Викторовна', account: 'standard', consent: 'grant',
    outcome: { kind: 'diary', roles: ['parent'] }, why: 'adult; name + SNILS match one profile',
    profiles: [{ id: 'demo-smirnova', login: 'smirnova', lastName: 'Смирнова', firstName: 'Елена', middleName: 'Викторовна', birthDate: '1984-05-12', snils: '145-278-903 84', email: 'e.smirnova@example.ru', roles: ['parent'], schoolIds: school7 }],
  },
  {
    key: 'adult-confirmed', oid: '1000000102', name: 'Кузнецов Андрей Сергеевич', account: 'confirmed', consent: 'grant',
    outcome: { kind: 'diary', roles: ['parent'] }, why: 'adult; name + SNILS match one profile',
    profiles: [{ id: 'demo-kuznetsov', login: 'kuznetsov', lastName: 'Кузнецов', firstName: 'Андрей', middleName: 'Сергеевич', birthDate: '1979-11-03', snils: '153-624-871 70', roles: ['parent'], schoolIds: lyceum12 }],
  },
  {
    key: 'adult-simplified', oid: '1000000111', name: 'Захаров Павел Олегович', account: 'simplified', consent: 'grant',
    outcome: { kind: 'refusal', reason: 'esia_level_too_low' }, why: 'adult (ESIA birth date) on a Simplified account',
    profiles: [{ id: 'demo-zakharov', login: 'zakharov', lastName: 'Захаров', firstName: 'Павел', middleName: 'Олегович', birthDate: '1990-07-19', roles: ['parent'], schoolIds: school7 }],
  },
  {
    key: 'adult-simplified-no-birth-date', oid: '1000000103', name: 'Новиков Дмитрий Павлович', account: 'simplified', consent: 'grant',
    via: { kind: 'manual-link', login: 'novikov' },
    outcome: { kind: 'link-refused', audited: 'esia_level_too_low' }, why: 'no birth date at ESIA: links by hand, then the profile shows an adult; told like a wrong password',
    profiles: [{ id: 'demo-novikov', login: 'novikov', lastName: 'Новиков', firstName: 'Дмитрий', middleName: 'Павлович', birthDate: '1981-02-17', roles: ['parent'], schoolIds: lyceum12 }],
  },
  {
    key: 'child-simplified', oid: '1000000104', name: 'Морозов Артём Игоревич', account: 'simplified, 12 years', consent: 'grant',
    outcome: { kind: 'diary', roles: ['student'] }, why: 'minor; ESIA-verified e-mail = the profile\'s confirmed e-mail',
    profiles: [{ id: 'demo-morozov', login: 'morozov', lastName: 'Морозов', firstName: 'Артём', middleName: 'Игоревич', birthDate: '2013-09-09', email: 'artem.morozov2013@example.ru', roles: ['student'], schoolIds: school7, classes: ['7-а'] }],
  },
  {
    key: 'child-account', oid: '1000000105', name: 'Волкова София Андреевна', account: 'child account (KD), 9 years', consent: 'grant',
    via: { kind: 'manual-link', login: 'volkova' },
    outcome: { kind: 'diary', roles: ['student'] }, why: 'minor without a verified e-mail: links by diary login',
    profiles: [{ id: 'demo-volkova', login: 'volkova', lastName: 'Волкова', firstName: 'София', middleName: 'Андреевна', birthDate: '2016-04-21', roles: ['student'], schoolIds: school7, classes: ['4-б'] }],
  },
  {
    key: 'teen-standard', oid: '1000000106', name: 'Иванова Мария Сергеевна', account: 'standard, 16 years', consent: 'grant',
    outcome: { kind: 'diary', roles: ['student'] }, why: 'adult by the region\'s threshold (14); name + SNILS',
    profiles: [{ id: 'demo-ivanova', login: 'ivanova', lastName: 'Иванова', firstName: 'Мария', middleName: 'Сергеевна', birthDate: '2009-03-14', snils: '112-233-445 95', email: 'ivanova.maria@example.ru', roles: ['student'], schoolIds: lyceum12, classes: ['11-а'] }],
  },
  {
    key: 'parent-teacher', oid: '1000000107', name: 'Соколова Ольга Николаевна', account: 'confirmed', consent: 'grant',
    via: { kind: 'chooser', pick: 'teacher' },
    outcome: { kind: 'diary', roles: ['teacher'] }, why: 'two profiles with her name + SNILS: she chooses',
    profiles: [
      { id: 'demo-sokolova-parent', login: 'sokolova.parent', lastName: 'Соколова', firstName: 'Ольга', middleName: 'Николаевна', birthDate: '1982-08-22', snils: '171-834-205 61', roles: ['parent'], schoolIds: school7 },
      { id: 'demo-sokolova-teacher', login: 'sokolova', lastName: 'Соколова', firstName: 'Ольга', middleName: 'Николаевна', birthDate: '1982-08-22', snils: '171-834-205 61', roles: ['teacher'], schoolIds: lyceum12 },
    ],
  },
  {
    key: 'no-snils-in-diary', oid: '1000000108', name: 'Лебедев Игорь Александрович', account: 'standard', consent: 'grant',
    via: { kind: 'manual-link', login: 'lebedev' },
    outcome: { kind: 'diary', roles: ['parent'] }, why: 'no SNILS in the diary: links once by diary login and password',
    profiles: [{ id: 'demo-lebedev', login: 'lebedev', lastName: 'Лебедев', firstName: 'Игорь', middleName: 'Александрович', birthDate: '1975-02-07', email: 'i.lebedev@example.ru', roles: ['parent'], schoolIds: school7 }],
  },
  {
    key: 'name-mismatch', oid: '1000000109', name: 'Ковалёва Наталья Юрьевна', account: 'confirmed', consent: 'grant',
    outcome: { kind: 'refusal', reason: 'name_snils_mismatch' }, why: 'her SNILS is in the diary under the maiden name Петрова',
    profiles: [{ id: 'demo-petrova', login: 'petrova', lastName: 'Петрова', firstName: 'Наталья', middleName: 'Юрьевна', birthDate: '1987-01-30', snils: '190-385-627 87', roles: ['parent'], schoolIds: lyceum12 }],
  },
  {
    key: 'not-attached', oid: '1000000110', name: 'Попов Сергей Викторович', account: 'standard', consent: 'grant',
    outcome: { kind: 'refusal', reason: 'profile_not_attached' }, why: 'his profile is attached to no school',
    profiles: [{ id: 'demo-popov', login: 'popov', lastName: 'Попов', firstName: 'Сергей', middleName: 'Викторович', birthDate: '1988-06-15', snils: '128-456-039 68', roles: ['parent'], schoolIds: [] }],
  },
  {
    key: 'consent-refused', oid: '1000000102', name: 'Кузнецов Андрей Сергеевич', account: 'confirmed', consent: 'deny',
    outcome: { kind: 'refusal', reason: 'consent_refused' }, why: '«Отказать» on the ESIA consent page (any persona)',
    profiles: [],
  },
];

export const DEMO_PROFILES: readonly DemoProfile[] = DEMO_SCENARIOS.flatMap((s) => s.profiles);

/** The demo diary's own record of its pupils' classes, by profile id (the `sub`). */
export const DEMO_CLASSES: Readonly<Record<string, readonly string[]>> = Object.fromEntries(DEMO_PROFILES.flatMap((p) => (p.classes ? [[p.id, p.classes]] : [])));
