import t, { type Test } from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthorizationResponseError } from 'openid-client';
import type { PersonaInput } from '../../../src/emulator/personas.js';
import { escapeHtml } from '../../../src/http/pages/html.js';
import { refusalSituation } from '../../../src/http/login/refusal-situation.js';
import { refusalText } from '../../../src/http/pages/refusal-text.js';
import { REASONS, type ReasonCode } from '../../../src/policy/reasons.js';
import { newSnils } from '../../helpers/accounts.js';
import { backLink, flowLogin, reasonOf, startFlowEnvironment, type FlowLogin } from '../../helpers/login-flow.js';

// the refusal reasons outcomes.test.ts does not cover, each through ESIA (the
// emulator), the broker and openid-client as the diary: the page (status, reason, the Russian
// title, explanation and what to do), access_denied for the diary behind the back link, no
// link written, and the audit rows. Refusals after the right diary password on the manual-link
// form are the exception: they answer like a wrong password, and only the audit names them.
const region = '38';

// Irkutsk as shipped, but closed to diary administrators: the only way to role_not_rolled_out
// (the shipped table closes ESIA to nobody; rollout dates never refuse).
const configDir = mkdtempSync(join(tmpdir(), 'refusals-config-'));
const shipped = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'config', 'regions.json'), 'utf8')) as { regions: Array<{ code: string }> };
const irkutsk = shipped.regions.find((r) => r.code === region)!;
Object.assign(irkutsk, { closedTo: [{ roles: ['admin'] }] });
writeFileSync(join(configDir, 'regions.json'), JSON.stringify(shipped));

interface Name {
  lastName: string;
  firstName: string;
  middleName: string;
}
/** A Standard account: SNILS and a passport ESIA verified. */
const adult = (oid: string, name: Name, birthDate: string, snils: string): PersonaInput => ({
  oid,
  label: `Взрослый ${oid}`,
  trusted: false,
  ...name,
  birthDate,
  gender: 'F',
  snils,
  documents: [{ type: 'RF_PASSPORT', vrfStu: 'VERIFIED', series: '2510', number: oid.slice(-6) }],
});
/** A Simplified account of a child: self-declared name and birth date, no verified e-mail. */
const child = (oid: string, name: Name, birthDate: string): PersonaInput => ({
  oid,
  label: `Ребёнок ${oid}`,
  trusted: false,
  ...name,
  birthDate,
  gender: 'M',
  contacts: [{ type: 'MBT', value: `+7(999)${oid.slice(-7)}`, vrfStu: 'VERIFIED' }],
});

const people = {
  admin: { oid: '1000000501', name: { lastName: 'Орлова', firstName: 'Вера', middleName: 'Павловна' }, snils: newSnils() },
  teacher: { oid: '1000000502', name: { lastName: 'Белова', firstName: 'Нина', middleName: 'Олеговна' }, snils: newSnils() },
  notActivated: { oid: '1000000503', name: { lastName: 'Зуева', firstName: 'Анна', middleName: 'Игоревна' }, snils: newSnils() },
  childNotActivated: { oid: '1000000504', name: { lastName: 'Титов', firstName: 'Глеб', middleName: 'Романович' } },
  childWrongBirthDate: { oid: '1000000505', name: { lastName: 'Гусев', firstName: 'Марк', middleName: 'Денисович' } },
  otherSnils: { oid: '1000000506', name: { lastName: 'Крылова', firstName: 'Дарья', middleName: 'Андреевна' }, snils: newSnils() },
  renamed: { oid: '1000000507', name: { lastName: 'Соболева', firstName: 'Ирина', middleName: 'Львовна' }, snils: newSnils() },
};

const env = await startFlowEnvironment({
  region,
  env: { CONFIG_DIR: configDir },
  extraPersonas: [
    adult(people.admin.oid, people.admin.name, '14.02.1978', people.admin.snils),
    adult(people.teacher.oid, people.teacher.name, '03.10.1981', people.teacher.snils),
    adult(people.notActivated.oid, people.notActivated.name, '27.07.1990', people.notActivated.snils),
    child(people.childNotActivated.oid, people.childNotActivated.name, '11.11.2015'),
    child(people.childWrongBirthDate.oid, people.childWrongBirthDate.name, '21.04.2016'),
    adult(people.otherSnils.oid, people.otherSnils.name, '09.12.1983', people.otherSnils.snils),
    adult(people.renamed.oid, people.renamed.name, '30.05.1986', people.renamed.snils),
  ],
});
t.teardown(async () => {
  await env.close();
  rmSync(configDir, { recursive: true, force: true });
});
const login = flowLogin(env);
const { harness } = env;
const db = env.broker.deps.database.db;

const auditOf = async (oid: string) =>
  (await db.selectFrom('audit_events').select(['action', 'outcome', 'reason', 'target', 'details']).where('actor', '=', `esia:${oid}`).orderBy('id').execute()).map((a) => ({
    ...a,
    details: typeof a.details === 'string' ? (JSON.parse(a.details) as unknown) : a.details,
  }));

/** Everything a refusal must hold: page, diary's answer, no link, and the audit rows. */
async function assertRefused(
  t: Test,
  result: FlowLogin,
  code: ReasonCode,
  expected: { oid: string; profileId: string; audit: Array<[string, string, string | null]>; detail: string },
  situation: Parameters<typeof refusalSituation>[3] = {},
) {
  const reason = REASONS[code];
  t.equal(result.response.status, 403, 'HTTP 403');
  t.match(result.response.headers.get('content-type'), /^text\/html/);
  t.equal(reasonOf(result.page), code, 'data-reason');
  t.ok(result.page.includes(`<title>${escapeHtml(reason.title)}`), 'the title');
  t.ok(result.page.includes(`<h1>${escapeHtml(reason.title)}</h1>`), 'the heading');
  // The words follow the region's rules (test/unit/pages/refusal-pages.test.ts checks them all).
  const text = refusalText(code, refusalSituation(env.broker.deps.regions.current(), region, new Date(), situation));
  t.ok(result.page.includes(`<p class="error" role="alert">${escapeHtml(text.explanation)}</p>`), 'what is wrong');
  for (const step of text.whatToDo) t.ok(result.page.includes(`<li>${escapeHtml(step)}</li>`), `what to do: ${step.slice(0, 40)}…`);
  t.equal(result.clientRedirect, undefined, 'no code for the diary');

  const back = backLink(result.page);
  t.equal(back && `${back.origin}${back.pathname}`, env.client.redirectUri, 'the back link goes to the diary');
  t.equal(back?.searchParams.get('error'), 'access_denied');
  t.equal(back?.searchParams.get('code'), null);
  // The diary's OIDC client reads it as the standard error (state and issuer checked).
  result.clientRedirect = back;
  const error = await result.tokens().then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(error instanceof AuthorizationResponseError, 'openid-client: an authorization error response');
  t.equal((error as AuthorizationResponseError | undefined)?.error, 'access_denied');

  t.same(await db.selectFrom('account_links').select('profile_id').where('esia_oid', '=', expected.oid).execute(), [], 'no link for the ESIA account');
  t.same(await db.selectFrom('account_links').select('esia_oid').where('profile_id', '=', expected.profileId).execute(), [], 'no link to the profile');
  const audit = await auditOf(expected.oid);
  t.same(
    audit.map((a) => [a.action, a.outcome, a.reason, a.target]),
    expected.audit.map(([action, outcome, target]) => [action, outcome, code, target]),
    'audit rows',
  );
  t.ok(
    audit.every((a) => (a.details as { detail?: string } | null)?.detail === expected.detail),
    `audited detail ${expected.detail}`,
  );
}

/** The manual-link form shows, the right diary password is typed, and still: refused. */
async function linkByHand(t: Test, oid: string, profile: { login: string; password: string }): Promise<FlowLogin> {
  const result = await login(oid);
  t.equal(result.response.status, 200);
  t.match(result.page, /не смогли найти Ваш профиль/, 'the manual-link page');
  await result.submit({ login: profile.login, password: profile.password });
  return result;
}

/**
 * A refusal after the right diary password looks like a wrong password on the form (else the
 * page would tell a guesser the password was right): 401, the attempts left, no reason shown,
 * nothing for the diary yet. Only the audit row holds the reason.
 */
async function assertRefusedByHand(t: Test, result: FlowLogin, code: ReasonCode, expected: { oid: string; profileId: string; detail: string }) {
  t.equal(result.response.status, 401, 'HTTP 401, as a wrong password');
  t.equal(reasonOf(result.page), undefined, 'no reason on the page');
  t.match(result.page, /Неверный логин или пароль, либо этот профиль нельзя привязать к вашей учётной записи на госуслугах\. Осталось 4 попытки/);
  t.notOk(result.page.includes(`<h1>${escapeHtml(REASONS[code].title)}</h1>`), 'not the refusal page');
  t.equal(result.clientRedirect, undefined, 'no code for the diary');
  t.same(await db.selectFrom('account_links').select('profile_id').where('esia_oid', '=', expected.oid).execute(), [], 'no link for the ESIA account');
  t.same(await db.selectFrom('account_links').select('esia_oid').where('profile_id', '=', expected.profileId).execute(), [], 'no link to the profile');
  const audit = await auditOf(expected.oid);
  t.same(audit.map((a) => [a.action, a.outcome, a.reason, a.target]), [['link.manual_attempt', 'refused', code, expected.profileId]], 'audited with its reason');
  t.match(audit[0]?.details, { detail: expected.detail, attemptsLeft: 4 });
}

t.test('role_not_rolled_out: the region closed ESIA to the profile\'s role (closedTo), even on a name + SNILS match', async (t) => {
  const profile = await harness.profile({ ...people.admin.name, birthDate: '1978-02-14', snils: people.admin.snils, roles: ['admin'], region });
  const result = await login(people.admin.oid);
  await assertRefused(t, result, 'role_not_rolled_out', { oid: people.admin.oid, profileId: profile.id, audit: [['login', 'refused', null]], detail: 'role_closed' }, { ageBand: 'adult', age: 48, roles: ['admin'] });
  t.match(result.page, 'В вашем регионе (Иркутская область) вход в электронный дневник через портал госуслуг для пользователей с ролью «администратор» ещё не открыт.');
  t.match(result.page, 'https://38.dnevnik.ru', 'a closed role keeps the password form: the region\'s login page');

  // The same region lets a teacher in: the closure is the role's, not the region's.
  const teacher = await harness.profile({ ...people.teacher.name, birthDate: '1981-10-03', snils: people.teacher.snils, roles: ['teacher'], region });
  t.equal((await (await login(people.teacher.oid)).tokens()).claims()!.sub, teacher.id, 'a teacher of the same region enters');
});

t.test('profile_not_activated: an adult matched by name + SNILS whose diary profile was never activated', async (t) => {
  const profile = await harness.profile({ ...people.notActivated.name, birthDate: '1990-07-27', snils: people.notActivated.snils, roles: ['parent'], activated: false, region });
  const result = await login(people.notActivated.oid);
  await assertRefused(t, result, 'profile_not_activated', { oid: people.notActivated.oid, profileId: profile.id, audit: [['login', 'refused', null]], detail: 'profile_not_activated' }, { birthDate: '1990-07-27' });
});

t.test('profile_not_activated: a child linking by hand (the ESIA-login help page «Наличие активированной учётной записи»)', async (t) => {
  const profile = await harness.profile({ ...people.childNotActivated.name, birthDate: '2015-11-11', snils: null, roles: ['student'], activated: false, region });
  const result = await linkByHand(t, people.childNotActivated.oid, profile);
  await assertRefusedByHand(t, result, 'profile_not_activated', { oid: people.childNotActivated.oid, profileId: profile.id, detail: 'profile_not_activated' });

  // The form stays (as after a wrong password): trying again counts again, and still no link.
  await result.submit({ login: profile.login, password: profile.password });
  t.equal(result.response.status, 401);
  t.match(result.page, /Осталось 3 попытки/);
  t.same(await db.selectFrom('account_links').select('esia_oid').where('profile_id', '=', profile.id).execute(), [], 'still no link');
});

t.test('name_birthdate_mismatch: a child links by hand, the diary holds another birth date (the ESIA-login help page «некорректная дата рождения»)', async (t) => {
  const profile = await harness.profile({ ...people.childWrongBirthDate.name, birthDate: '2016-05-21', snils: null, roles: ['student'], region });
  const result = await linkByHand(t, people.childWrongBirthDate.oid, profile);
  await assertRefusedByHand(t, result, 'name_birthdate_mismatch', { oid: people.childWrongBirthDate.oid, profileId: profile.id, detail: 'birth_date_differs' });
});

t.test('name_snils_mismatch by hand: the diary holds another SNILS, refused even with the right password', async (t) => {
  const profile = await harness.profile({ ...people.otherSnils.name, birthDate: '1983-12-09', snils: newSnils(), roles: ['parent'], region });
  const result = await linkByHand(t, people.otherSnils.oid, profile);
  await assertRefusedByHand(t, result, 'name_snils_mismatch', { oid: people.otherSnils.oid, profileId: profile.id, detail: 'snils_differs' });
});

t.test('name_snils_mismatch by hand: an adult whose diary has no SNILS and another surname (the ESIA-login help page, over 14 «ФИО и СНИЛС … не совпадают»)', async (t) => {
  const profile = await harness.profile({ ...people.renamed.name, lastName: 'Ершова', birthDate: '1986-05-30', snils: null, roles: ['parent'], region });
  const result = await linkByHand(t, people.renamed.oid, profile);
  await assertRefusedByHand(t, result, 'name_snils_mismatch', { oid: people.renamed.oid, profileId: profile.id, detail: 'name_differs' });
});

t.test('esia_level_too_low: an adult on a Simplified account in Irkutsk reads Irkutsk\'s rules (issue: «старше 14 лет», the Ivanovo bullet, «Тинькофф»)', async (t) => {
  // 1000000111 of the shipped personas: an adult whose ESIA account is Simplified, with a birth date.
  const result = await login('1000000111');
  t.equal(result.response.status, 403);
  t.equal(reasonOf(result.page), 'esia_level_too_low');
  t.match(result.page, 'В вашем регионе (Иркутская область) пользователям с 14 лет для входа в электронный дневник через госуслуги нужна Стандартная или Подтверждённая учётная запись на портале госуслуг.');
  t.match(result.page, 'через интернет-банк (Сбербанк, Т-Банк, Почта Банк)');
  // This file's Irkutsk closes ESIA to administrators, who so keep the password form; every other adult is ESIA-only.
  t.match(result.page, 'В вашем регионе (Иркутская область) вход по логину и паролю (https://38.dnevnik.ru) сохранён только для администраторов с 14 лет; для остальных — только через госуслуги.');
  t.notMatch(result.page, /старше|Ивановск|Тинькофф/);
  t.equal(backLink(result.page)?.searchParams.get('error'), 'access_denied');
});
