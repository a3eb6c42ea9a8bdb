import t from 'tap';
import { DEMO_PASSWORD, DEMO_SCENARIOS, type DemoScenario } from '../../../src/demo/demo-data.js';
import { launchBrowser, newPage, saveScreenshot, type Page } from '../../helpers/browser.js';
import { startTestDemo } from '../../helpers/demo.js';

/**
 * The whole login in a real browser (Chromium through playwright-core): demo diary → broker
 * /authorize → ESIA emulator login and consent → broker pages (chooser, manual link) → back
 * to the diary, for every persona of the demo. One demo and one browser for the file; a
 * fresh browser context (no cookies) per persona.
 */
const demo = await startTestDemo();
t.teardown(() => demo.close());
const browser = await launchBrowser();
t.teardown(() => browser.close());

/** What each persona must end on, written out here rather than read from the demo's table. */
type Expected = { diary: { name: string; roles: string; acr: string; sub: string; school: string } } | { reason: string } | { linkRefused: string };
const school7 = 'МБОУ «СОШ № 7», Иркутск';
const lyceum12 = 'МАОУ «Лицей № 12», Иркутск';
const EXPECTED: Record<string, Expected> = {
  'adult-standard': { diary: { name: 'Смирнова Елена Викторовна', roles: 'parent', acr: 'urn:esia:standard', sub: 'demo-smirnova', school: school7 } },
  'adult-confirmed': { diary: { name: 'Кузнецов Андрей Сергеевич', roles: 'parent', acr: 'urn:esia:confirmed', sub: 'demo-kuznetsov', school: lyceum12 } },
  'adult-simplified': { reason: 'esia_level_too_low' },
  // Decided after the right diary password: the form says what it says to a wrong one (no oracle).
  'adult-simplified-no-birth-date': { linkRefused: 'esia_level_too_low' },
  'child-simplified': { diary: { name: 'Морозов Артём Игоревич', roles: 'student', acr: 'urn:esia:simplified', sub: 'demo-morozov', school: school7 } },
  'child-account': { diary: { name: 'Волкова София Андреевна', roles: 'student', acr: 'urn:esia:simplified', sub: 'demo-volkova', school: school7 } },
  'teen-standard': { diary: { name: 'Иванова Мария Сергеевна', roles: 'student', acr: 'urn:esia:standard', sub: 'demo-ivanova', school: lyceum12 } },
  'parent-teacher': { diary: { name: 'Соколова Ольга Николаевна', roles: 'teacher', acr: 'urn:esia:confirmed', sub: 'demo-sokolova-teacher', school: lyceum12 } },
  'no-snils-in-diary': { diary: { name: 'Лебедев Игорь Александрович', roles: 'parent', acr: 'urn:esia:standard', sub: 'demo-lebedev', school: school7 } },
  'name-mismatch': { reason: 'name_snils_mismatch' },
  'not-attached': { reason: 'profile_not_attached' },
  'consent-refused': { reason: 'consent_refused' },
};

t.test('the tests cover exactly the personas the demo prints, with the outcomes it prints', async (t) => {
  t.same(Object.keys(EXPECTED).sort(), DEMO_SCENARIOS.map((s) => s.key).sort());
  for (const scenario of DEMO_SCENARIOS) {
    const expected = EXPECTED[scenario.key]!;
    if ('reason' in expected) t.same(scenario.outcome, { kind: 'refusal', reason: expected.reason }, scenario.key);
    else if ('linkRefused' in expected) t.same(scenario.outcome, { kind: 'link-refused', audited: expected.linkRefused }, scenario.key);
    else t.same(scenario.outcome, { kind: 'diary', roles: [expected.diary.roles] }, scenario.key);
  }
});

async function throughEsia(page: Page, scenario: DemoScenario): Promise<void> {
  await page.goto(demo.diaryUrl);
  await page.click('#login');
  await page.waitForURL(`${demo.emulatorUrl}/**`);
  await page.click(`button[data-oid="${scenario.oid}"]`);
  await page.click(`button[value="${scenario.consent}"]`);
}

async function onBrokerPages(page: Page, scenario: DemoScenario): Promise<void> {
  const via = scenario.via;
  if (via?.kind === 'chooser') {
    const pick = scenario.profiles.find((p) => p.roles.includes(via.pick))!;
    await page.check(`input[name="profile_id"][value="${pick.id}"]`);
    await page.click('form button[type="submit"]');
  }
  if (via?.kind === 'manual-link') {
    await page.fill('input[name="login"]', via.login);
    await page.fill('input[name="password"]', DEMO_PASSWORD);
    await page.click('form button[type="submit"]');
  }
  // After a manual link the broker says so before handing back to the diary.
  const first = await page.waitForSelector('#welcome, [data-reason], [role="status"], [role="alert"]');
  if ((await first.getAttribute('role')) === 'status') await page.click('a.button');
}

t.test('the diary home page shows the region note from the public policy', async (t) => {
  const { context, page } = await newPage(browser);
  t.teardown(() => context.close());
  await page.goto(demo.diaryUrl);
  t.equal(await page.textContent('#region-name'), 'Иркутская область');
  t.match(await page.textContent('#region-note'), /также доступна стандартная форма входа.* для учащихся младше 14 лет/, 'students under 14 keep the password form (the Irkutsk page)');
  t.equal(await page.textContent('#login'), 'Войти через госуслуги');
  await saveScreenshot(page, 'demo-home');
});

for (const [key, expected] of Object.entries(EXPECTED)) {
  const scenario = DEMO_SCENARIOS.find((s) => s.key === key)!;
  t.test(`${key}: ${scenario.name} (${scenario.oid})`, async (t) => {
    const { context, page } = await newPage(browser);
    t.teardown(() => context.close());
    await throughEsia(page, scenario);
    await onBrokerPages(page, scenario);
    await saveScreenshot(page, `demo-${key}`);
    if ('reason' in expected) {
      t.equal(await page.getAttribute('[data-reason]', 'data-reason'), expected.reason, 'the broker shows the reason page');
      t.ok(page.url().startsWith(demo.brokerUrl), 'on the broker');
      // The page's way back carries the OAuth error to the diary (RFC 6749 §4.1.2.1).
      await page.click('a.button');
      await page.waitForURL(`${demo.diaryUrl}/callback?**`);
      t.equal(await page.textContent('#oauth-error'), 'access_denied', 'the diary learns access_denied');
    } else if ('linkRefused' in expected) {
      t.match(await page.textContent('#form-error'), /^Неверный логин или пароль, либо этот профиль нельзя привязать/, 'the form answers as for a wrong password');
      t.ok(page.url().startsWith(demo.brokerUrl), 'still on the broker, the form offered again');
    } else {
      t.equal(page.url(), `${demo.diaryUrl}/me`);
      t.equal(await page.textContent('#welcome'), `Здравствуйте, ${expected.diary.name}!`);
      t.equal(await page.getAttribute('#roles', 'data-roles'), expected.diary.roles);
      t.equal(await page.getAttribute('#level', 'data-acr'), expected.diary.acr);
      t.match(await page.textContent('#schools'), expected.diary.school);
      t.equal(await page.textContent('#region'), '38');
      t.equal(await page.getAttribute('#backend', 'data-subject'), expected.diary.sub, 'the diary backend validated the access token (jose + JWKS)');
    }
  });
}

t.test('logout through the broker and Gosuslugi: the next login is someone else', async (t) => {
  const { context, page } = await newPage(browser);
  t.teardown(() => context.close());
  const smirnova = DEMO_SCENARIOS.find((s) => s.key === 'adult-standard')!;
  await throughEsia(page, smirnova);
  await page.waitForURL(`${demo.diaryUrl}/me`);

  await page.click('#logout');
  await page.waitForURL(`${demo.brokerUrl}/logout?**`);
  await saveScreenshot(page, 'demo-logged-out');
  await page.click('a.button:has-text("Выйти также из госуслуг")');
  await page.waitForURL(`${demo.diaryUrl}/`);
  t.equal(await page.textContent('#login'), 'Войти через госуслуги', 'back on the diary, logged out');

  // Neither the broker's nor the emulator's session survived: the persona list is shown again.
  await page.click('#login');
  await page.waitForURL(`${demo.emulatorUrl}/**`);
  await page.click('button[data-oid="1000000102"]');
  await page.click('button[value="grant"]');
  await page.waitForURL(`${demo.diaryUrl}/me`);
  t.equal(await page.textContent('#welcome'), 'Здравствуйте, Кузнецов Андрей Сергеевич!');
});
