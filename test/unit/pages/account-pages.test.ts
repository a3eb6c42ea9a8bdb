import t, { type Test } from 'tap';
import type { DiaryProfile } from '../../../src/accounts/directory.js';
import { linkSuccessPage } from '../../../src/http/pages/link-success-page.js';
import { manualLinkPage } from '../../../src/http/pages/manual-link-page.js';
import { profileChooserPage } from '../../../src/http/pages/profile-chooser-page.js';
import { REASON_CODES } from '../../../src/policy/reasons.js';
import { refusalPage } from '../../../src/http/pages/refusal-page.js';

const profile = (id: string, over: Partial<DiaryProfile> = {}): DiaryProfile => ({
  id,
  login: `login-${id}`,
  lastName: 'Андреева',
  firstName: 'Кармела',
  middleName: 'Егоровна',
  birthDate: '1980-01-01',
  snilsHash: undefined,
  snilsLast4: undefined,
  email: undefined,
  emailConfirmed: false,
  roles: ['teacher', 'parent'],
  schoolIds: ['school-1'],
  classes: [],
  activated: true,
  region: '38',
  ...over,
});

/** No external assets: nothing is fetched from anywhere, no script at all. */
function assertSelfContained(t: Test, body: string) {
  t.notMatch(body, /<script|<link|<img|<iframe|@import|url\(/i, 'no scripts, stylesheets, images or imports');
  t.match(body, /^<!doctype html>\n<html lang="ru">/, 'a Russian HTML document');
}

t.test('the Irkutsk page FAQ 1: the chooser shows role(s) and school for each profile, the default preselected', async (t) => {
  const body = profileChooserPage({
    profiles: [profile('p-1', { roles: ['parent'] }), profile('p-2', { roles: ['teacher', 'admin'], schoolIds: ['school-7'] })],
    defaultProfileId: 'p-2',
    action: '/login/choose',
    xsrf: 'xsrf-token-1',
    schoolNames: (id) => (id === 'school-7' ? 'МАОУ «Гимназия № 2»' : undefined),
  });
  assertSelfContained(t, body);
  t.match(body, /<form method="post" action="\/login\/choose">/);
  t.match(body, /<input type="hidden" name="xsrf" value="xsrf-token-1">/);
  t.match(body, /<fieldset><legend>Профиль для входа<\/legend>/);
  t.match(body, /value="p-1" required aria-describedby/, 'p-1 not preselected');
  t.match(body, /value="p-2" required checked aria-describedby/, 'the default is preselected');
  t.match(body, /<strong>Родитель<\/strong>/);
  t.match(body, /<strong>Учитель, Администратор<\/strong>/);
  t.match(body, /МАОУ «Гимназия № 2»/, 'school names escaped and shown');
  t.match(body, /<span id="profile-0-details">организация school-1<\/span>/, 'unknown school: a short neutral word and its id');
  t.match(body, /<p>Андреева Кармела Егоровна<\/p>/, 'one person: the name once, above the profiles');
  t.match(body, /Ваш выбор запомнится/);
  t.equal((body.match(/<label for="profile-\d">/g) ?? []).length, 2, 'each radio has its label');
});

t.test('a pupil\'s class is shown; a name that differs between profiles is shown per profile', async (t) => {
  const body = profileChooserPage({
    profiles: [profile('kid', { roles: ['student'], classes: ['5-в'], schoolIds: ['38-0007'] }), profile('maiden', { lastName: 'Петрова', roles: ['teacher'], classes: ['2-в'] })],
    defaultProfileId: undefined,
    action: '/c',
    xsrf: 'x',
    schoolNames: (id) => (id === '38-0007' ? 'МБОУ «СОШ № 7»' : undefined),
  });
  t.match(body, /<span id="profile-0-details">Андреева Кармела Егоровна · МБОУ «СОШ № 7» · 5-в класс<\/span>/);
  t.match(body, /<span id="profile-1-details">Петрова Кармела Егоровна · организация school-1<\/span>/, 'a teacher\'s classes are not shown');
});

t.test('the chooser without a default preselects nothing (a choice is required)', async (t) => {
  const body = profileChooserPage({ profiles: [profile('a'), profile('b')], defaultProfileId: 'gone', action: '/c', xsrf: 'x' });
  t.notMatch(body, / checked/);
  t.match(body, /required/);
});

t.test('everything from the directory is escaped', async (t) => {
  const body = profileChooserPage({ profiles: [profile('"><script>alert(1)</script>', { lastName: '<b>Ким</b>', schoolIds: ['<i>'] })], defaultProfileId: undefined, action: '/c?a=1&b=2', xsrf: '"x"' });
  t.notMatch(body, /<script>|<b>Ким|<i>/);
  t.match(body, /&lt;b&gt;Ким&lt;\/b&gt;/);
  t.match(body, /action="\/c\?a=1&amp;b=2"/);
  t.match(body, /value="&quot;x&quot;"/);
});

t.test('the Irkutsk page: the manual-link form in the help pages\' words, with login, password and the anti-CSRF field', async (t) => {
  const body = manualLinkPage({ action: '/login/link', xsrf: 'xsrf-2', recoverUrl: 'https://38.dnevnik.ru/recover' });
  assertSelfContained(t, body);
  t.match(body, 'К сожалению, мы не смогли найти Ваш профиль электронного дневника по данным, предоставленным порталом госуслуг. Пожалуйста, введите логин и пароль от Вашего аккаунта электронного дневника для его привязки.');
  t.match(body, /<input type="hidden" name="xsrf" value="xsrf-2">/);
  t.match(body, /<label for="login">Логин<\/label>\n<input id="login" name="login" type="text" autocomplete="username"/);
  t.match(body, /<label for="password">Пароль<\/label>\n<input id="password" name="password" type="password" autocomplete="current-password"/);
  t.match(body, /Забыли логин или пароль\? <a href="https:\/\/38.dnevnik.ru\/recover">Восстановите доступ.<\/a>/);
  t.notMatch(body, /role="alert"/, 'no error on first show');
});

t.test('errors: wrong password with the attempts left, lockout with the wait, the login kept and escaped', async (t) => {
  const wrong = manualLinkPage({ action: '/l', xsrf: 'x', login: 'ivanov<1>', error: { kind: 'invalid-credentials', attemptsLeft: 2 } });
  t.match(wrong, /<p class="error" role="alert" id="form-error">Неверный логин или пароль, либо этот профиль нельзя привязать к вашей учётной записи на госуслугах. Осталось 2 попытки/);
  t.match(wrong, /value="ivanov&lt;1&gt;" aria-describedby="form-error"/);
  t.notMatch(wrong, /disabled/);
  t.match(manualLinkPage({ action: '/l', xsrf: 'x', error: { kind: 'invalid-credentials', attemptsLeft: 1 } }), /Осталось 1 попытка/);
  t.match(manualLinkPage({ action: '/l', xsrf: 'x', error: { kind: 'invalid-credentials', attemptsLeft: 5 } }), /Осталось 5 попыток/);
  const locked = manualLinkPage({ action: '/l', xsrf: 'x', login: 'ivanov', error: { kind: 'locked', retryAfterSeconds: 14 * 60 + 1 } });
  t.match(locked, /Слишком много неудачных попыток\. Привязка по логину и паролю временно заблокирована, попробуйте снова через 15 минут\./);
  t.match(locked, /<button type="submit" disabled>/);
  t.match(manualLinkPage({ action: '/l', xsrf: 'x', error: { kind: 'locked', retryAfterSeconds: 61 } }), /через 2 минуты/);
  t.match(manualLinkPage({ action: '/l', xsrf: 'x', error: { kind: 'locked', retryAfterSeconds: 20 } }), /через 1 минуту/);
  t.match(manualLinkPage({ action: '/l', xsrf: 'x', error: { kind: 'locked', retryAfterSeconds: 23 * 3600 } }), /через 23 часа\./, 'the daily lock in hours');
  t.match(manualLinkPage({ action: '/l', xsrf: 'x', error: { kind: 'locked', retryAfterSeconds: 5 * 3600 - 30 } }), /через 5 часов\./);
  t.match(manualLinkPage({ action: '/l', xsrf: 'x', error: { kind: 'locked', retryAfterSeconds: 7200 } }), /через 120 минут\./);
  t.match(manualLinkPage({ action: '/l', xsrf: 'x', error: { kind: 'missing-fields' } }), /Введите логин и пароль/);
});

t.test('the Irkutsk page «Отлично! Теперь вы можете входить…»: neutral words until the client names its diary', async (t) => {
  const body = linkSuccessPage({ continueUrl: 'https://diary.example/cb?code=abc&state=x' });
  assertSelfContained(t, body);
  t.match(body, '<p role="status">Отлично! Теперь вы можете входить в электронный дневник через портал госуслуг.</p>');
  t.match(body, /<a class="button" href="https:\/\/diary.example\/cb\?code=abc&amp;state=x">Перейти в электронный дневник<\/a>/);
  t.notMatch(body, /Дневник\.ру/);
});

t.test('each diary names itself through its registration, its name after «электронный дневник» in every case', async (t) => {
  const brand = { productName: 'ЭлЖур', supportContact: '8-800-000-00-00', helpUri: 'https://eljur.example/help' };
  const manual = manualLinkPage({ action: '/l', xsrf: 'x', brand });
  t.match(manual, '<h1>Войти в электронный дневник «ЭлЖур»</h1>');
  t.match(manual, 'найти Ваш профиль электронного дневника «ЭлЖур»');
  t.match(manual, 'ФИО и СНИЛС в электронном дневнике «ЭлЖур» должны совпадать');
  t.match(manual, '<a href="https://eljur.example/help">Справка о входе через госуслуги</a> · Служба поддержки электронного дневника «ЭлЖур»: 8-800-000-00-00');
  t.match(linkSuccessPage({ continueUrl: '/x', brand }), /входить в электронный дневник «ЭлЖур» через портал госуслуг/);
  t.match(refusalPage('profile_not_attached', { backUrl: '/x', brand }), '>Вернуться в электронный дневник «ЭлЖур»</a>');
  t.notMatch(manualLinkPage({ action: '/l', xsrf: 'x' }), /id="diary-support"/, 'no support line without a registration');
});

t.test('every refusal reason has a page that says what is wrong and what to do', async (t) => {
  for (const code of REASON_CODES) {
    const body = refusalPage(code, { backUrl: 'https://diary.example/cb?error=access_denied' });
    assertSelfContained(t, body);
    t.match(body, /<h2>Что делать<\/h2>\n<ul><li>/, code);
    t.match(body, new RegExp(`data-reason="${code}"`));
  }
});

t.test('rule «unlinking (by the person from a broker page)»: each link with its way out', async (t) => {
  const { linkedAccountsPage } = await import('../../../src/http/pages/linked-accounts-page.js');
  const link = (profileId: string, method: 'snils' | 'manual', isDefault: boolean) => ({ esiaOid: '1', profileId, method, isDefault, createdAt: new Date('2024-09-02T10:00:00Z'), lastLoginAt: null });
  const body = linkedAccountsPage({
    entries: [{ link: link('p-1', 'snils', true), profile: profile('p-1') }, { link: link('p-gone', 'manual', false), profile: null }],
    action: '/account/unlink',
    xsrf: 'xsrf-3',
  });
  assertSelfContained(t, body);
  t.match(body, /Связан автоматически по ФИО и СНИЛС 02\.09\.2024; выбирается по умолчанию\./);
  t.match(body, /Профиль удалён/);
  t.equal((body.match(/<input type="hidden" name="xsrf" value="xsrf-3">/g) ?? []).length, 2);
  t.match(body, /name="profile_id" value="p-gone"/);
  t.match(linkedAccountsPage({ entries: [], action: '/a', xsrf: 'x', unlinked: true }), /Связь удалена[\s\S]*не связан ни один профиль/);
});
