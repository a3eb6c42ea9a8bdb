import t from 'tap';
import Fastify from 'fastify';
import cookie from '@fastify/cookie';
import { parse } from 'csv-parse/sync';
import { createAdminSessions } from '../../../src/admin/admin-sessions.js';
import { createStoreKeyHash } from '../../../src/crypto/store-key.js';
import { registerAdminPage } from '../../../src/http/admin/admin-page-routes.js';
import type { AdminQueries } from '../../../src/admin/reports.js';
import { createMemoryStateStore } from '../../../src/store/memory/memory-state-store.js';
import { ADMIN_TOKEN, adminClient, cookieJar, csvFile } from '../../helpers/admin.js';
import { startBroker } from '../../helpers/broker.js';
import { launchBrowser, newPage, PHONE_VIEWPORT, saveScreenshot } from '../../helpers/browser.js';

/** The few DOM calls the browser checks make (the project compiles without the DOM library). */
type Dom = {
  getComputedStyle(element: unknown, pseudo?: string): { display: string; content: string; position: string };
  innerWidth: number;
  document: { documentElement: { scrollWidth: number }; body: { scrollWidth: number } };
};

/** The page's cells without their phone labels (data-label), for matching rows by content. */
const bare = (html: string) => html.replace(/<td data-label="[^"]*">/g, '<td>');

t.test('the /admin page', async (t) => {
  const broker = await startBroker();
  t.teardown(() => broker.close());
  const { call } = adminClient(broker.url);
  const imported = await call('POST', '/admin/profiles/import', {
    text: csvFile(['id', 'login', 'last_name', 'first_name', 'middle_name', 'roles', 'school_ids', 'activated', 'region', 'birth_date'], [
      ['pg-teacher', 'pg.teacher', 'Андреева', 'Кармела', 'Егоровна', 'teacher', 'school-7', 'true', '38', '1980-02-01'],
      ['pg-student', 'pg.student', 'Андреева', 'Мария', '', 'student', 'school-7', 'false', '38', ''],
      ['pg-other', 'pg.other', 'Борисов', 'Иван', '', 'teacher', 'school-9', 'true', '29', '1970-01-01'],
    ]),
  });
  t.equal(imported.status, 200);
  await broker.deps.database.db.insertInto('audit_events').values([
    { actor: 'esia:1001', action: 'login', target: 'pg-teacher', outcome: 'success', region: '38', at: '2026-11-20T08:00:00Z' },
    { actor: 'esia:1001', action: 'login', target: 'pg-teacher', outcome: 'success', region: '38', at: '2026-11-21T08:00:00Z' },
    // 20:30 UTC on the 21st is the morning of the 22nd in Irkutsk (UTC+8): the report's day is the region's.
    { actor: 'anonymous', action: 'login', outcome: 'refused', reason: 'consent_refused', region: '38', at: '2026-11-21T20:30:00Z' },
    { actor: 'anonymous', action: 'login', outcome: 'refused', reason: 'profile_not_attached', region: '38', at: '2026-11-21T09:00:00Z' },
  ]).execute();

  t.test('token form, session cookie, reports, CSV, logout over the wire', async (t) => {
    const b = cookieJar(broker.url);
    const first = await b.request('GET', '/admin');
    t.equal(first.status, 200);
    t.match(first.text, /Токен администратора/);
    t.match(first.headers.get('content-security-policy'), /default-src 'none'.*frame-ancestors 'none'/);
    t.equal(first.headers.get('x-frame-options'), 'DENY', 'the token form is never framed');
    t.equal(first.headers.get('cache-control'), 'no-store');

    t.equal((await b.request('POST', '/admin/login', { xsrf: 'forged', token: ADMIN_TOKEN })).status, 303, 'a forged form token is sent back to the form');
    t.notOk(b.jar.has('eb_admin'), 'no session from a forged form');
    t.equal((await b.request('POST', '/admin/login', { xsrf: b.field(first.text, 'xsrf'), token: ADMIN_TOKEN }, { origin: 'https://evil.example' })).status, 403, 'another origin is refused');

    const form = await b.request('GET', '/admin');
    const wrong = await b.request('POST', '/admin/login', { xsrf: b.field(form.text, 'xsrf'), token: 'not-the-token-at-all' });
    t.equal(wrong.status, 401);
    t.match(wrong.text, /Неверный токен администратора/);

    const login = await b.request('POST', '/admin/login', { xsrf: b.field(wrong.text, 'xsrf'), token: ADMIN_TOKEN });
    t.equal(login.status, 303);
    t.equal(login.location, '/admin');
    const session = b.setCookies.find((c) => c.startsWith('eb_admin='))!;
    t.match(session, /HttpOnly/i);
    t.match(session, /SameSite=Strict/i);
    t.match(session, /Path=\/admin/);
    t.match(session, /Max-Age=28800/);
    t.notMatch(session, new RegExp(ADMIN_TOKEN), 'the cookie is a session id, not the token');

    const report = await b.request('GET', '/admin?report=logins&region=38&role=teacher');
    t.equal(report.status, 200);
    t.match(report.text, /<td data-label="Пользователь">Андреева Кармела Егоровна<\/td>/, 'each cell names its column for the phone layout');
    t.match(bare(report.text), /<td>2<\/td>/, 'two ESIA logins counted');
    t.notMatch(report.text, /Борисов|Андреева Мария/);
    t.match(report.text, /href="\/admin\/export\/logins\.csv\?region=38&amp;role=teacher"/);

    const bad = await b.request('GET', '/admin?report=completeness&region=Irkutsk');
    t.equal(bad.status, 400);
    t.match(bad.text, /<li>Регион: нужен код региона из двух цифр, например 38\.<\/li>/, 'the page says it in Russian');
    t.notMatch(bad.text, /must be/, 'no English on the page');
    const badFields = await b.request('GET', '/admin?report=logins&region=3&role=nobody');
    t.equal(badFields.status, 400);
    t.match(badFields.text, /<li>Регион: нужен код региона из двух цифр, например 38\.<\/li><li>Роль: выберите роль из списка\.<\/li>/, 'every refused field on its own line');
    t.notMatch(badFields.text, /must|Invalid/);
    const badPeriod = await b.request('GET', '/admin?report=logins&from=2026-11-30&to=2026-11-01');
    t.equal(badPeriod.status, 400);
    t.match(badPeriod.text, /<li>Период: дата «с» позже даты «по»\.<\/li>/);
    const badNew = await b.request('GET', '/admin?report=logins&municipality=a%00b&class=' + encodeURIComponent('5 "в"') + '&school_year=2025-2026&month=13');
    t.equal(badNew.status, 400);
    t.match(badNew.text, /<li>Муниципалитет: название как в справочнике школ[^<]*<\/li><li>Класс: буквы и цифры, например 5-в\.<\/li><li>Учебный год: нужен вид 2025\/2026 \(с 1 августа по 31 июля\)\.<\/li><li>Месяц: выберите месяц из списка\.<\/li>/, 'the new filters, field by field in Russian');
    t.notMatch(badNew.text, /must|Invalid/);
    const badMonth = await b.request('GET', '/admin?report=logins&month=3');
    t.match(badMonth.text, /<li>Месяц: выбирается внутри учебного года — укажите и учебный год\.<\/li>/);
    const badBoth = await b.request('GET', '/admin?report=logins&school_year=2025/2026&from=2025-09-01');
    t.match(badBoth.text, /<li>Учебный год: укажите либо учебный год \(и месяц\), либо период «с»\/«по», не оба\.<\/li>/);
    const badExport = await b.request('GET', '/admin/export/logins.csv?to=2023-02-29');
    t.equal(badExport.status, 400);
    t.match(badExport.text, /Период по: такой даты нет в календаре/);

    const outcomes = await b.request('GET', '/admin?report=outcomes&region=38');
    t.equal(outcomes.status, 200);
    t.match(bare(outcomes.text), /<td>21\.11\.2026<\/td><td>38<\/td><td>профиль не привязан к ОО <code class="reason">profile_not_attached<\/code><\/td><td>1<\/td>/, 'a reason in Russian next to its code');
    t.match(bare(outcomes.text), /<td>22\.11\.2026<\/td><td>38<\/td><td>отказ в доступе к данным на госуслугах <code class="reason">consent_refused<\/code><\/td><td>1<\/td>/, 'counted on the Irkutsk day');
    t.match(bare(outcomes.text), /<td>20\.11\.2026<\/td><td>38<\/td><td>успешный вход<\/td><td>1<\/td>/);
    const local = await call<{ rows: Array<Record<string, unknown>> }>('GET', '/admin/reports/outcomes?region=38&from=2026-11-22&to=2026-11-22');
    t.same(local.body.rows, [{ day: '2026-11-22', region: '38', outcome: 'consent_refused', count: 1 }], 'the period is in the region\'s days too');

    const csv = await b.request('GET', '/admin/export/completeness.csv?region=38');
    t.equal(csv.status, 200);
    t.match(csv.headers.get('content-disposition'), /attachment; filename="completeness.csv"/);
    const records = parse(csv.text, { columns: true, bom: true }) as Array<Record<string, string>>;
    t.same(Object.keys(records[0]!), ['profile_id', 'full_name', 'roles', 'classes', 'schools', 'school_ids', 'region', 'has_snils', 'has_birth_date', 'activated']);
    t.same(records.map((r) => r['profile_id']), ['pg-teacher', 'pg-student'], 'no SNILS anywhere in region 38');

    const logout = await b.request('POST', '/admin/logout', { xsrf: b.field(report.text, 'xsrf') });
    t.equal(logout.status, 303);
    t.notOk(b.jar.has('eb_admin'), 'cookie cleared');
    t.match((await b.request('GET', '/admin')).text, /Токен администратора/, 'back to the token form');
    const stale = await fetch(`${broker.url}/admin/export/logins.csv`, { headers: { cookie: session.split(';')[0]! } });
    t.equal(stale.status, 401, 'the session is gone server-side, not only from the browser');

    const audit = await call<{ events: Array<{ action: string; actor: string }> }>('GET', '/admin/audit?actor=admin:page');
    t.same(audit.body.events.map((e) => e.action), ['admin.logout', 'report.read', 'report.read', 'report.read', 'admin.login']);
  });

  t.test('the school directory: pasted CSV imported (audited as the page), names then shown in the reports', async (t) => {
    const b = cookieJar(broker.url);
    t.equal(await b.signIn(ADMIN_TOKEN), 303);
    const before = await b.request('GET', '/admin/school-directory');
    t.equal(before.status, 200);
    t.match(before.text, /Школ в справочнике: 0/);
    const xsrf = b.field(before.text, 'xsrf');
    t.equal((await b.request('POST', '/admin/school-directory', { xsrf: 'forged', csv: 'id\nx\n' })).status, 401, 'a forged form token is refused');
    const csv = 'Код ОО;Полное наименование;Краткое наименование;Муниципалитет;Регион\nschool-7;МБОУ «Средняя школа № 7»;МБОУ «СОШ № 7»;г. Иркутск;38\n;Без кода;Без кода;г. Иркутск;38\n';
    const dry = await b.request('POST', '/admin/school-directory', { xsrf, csv, dry_run: '1' });
    t.match(dry.text, /Проверка, ничего не сохранено: строк 2: добавлено 1, изменено 0, без изменений 0, отклонено 1/);
    t.match(dry.text, /строка 3: id: is required/);
    const done = await b.request('POST', '/admin/school-directory', { xsrf, csv });
    t.equal(done.status, 200);
    t.match(done.text, /Школ в справочнике: 1/);
    t.match(done.text, /<td>school-7<\/td><td>МБОУ «СОШ № 7»<\/td><td>г. Иркутск<\/td>/);
    const bad = await b.request('POST', '/admin/school-directory', { xsrf, csv: 'id;director\nx;y\n' });
    t.equal(bad.status, 400);
    t.match(bad.text, /Файл не принят: import: unknown column &quot;director&quot;/);
    const report = await b.request('GET', '/admin?report=logins&region=38&municipality=' + encodeURIComponent('г. Иркутск'));
    t.match(bare(report.text), /<td>МБОУ «СОШ № 7»<\/td>/, 'the report shows the school by name');
    const audit = await call<{ events: Array<{ actor: string; outcome: string }> }>('GET', '/admin/audit?action=school.import&limit=1');
    t.match(audit.body.events[0], { actor: 'admin:page', outcome: 'partial' });
  });

  t.test('a long report shows 1,000 rows a page with a link to the next page', async (t) => {
    await broker.deps.database.db
      .insertInto('profiles')
      .values(Array.from({ length: 1001 }, (_, i) => ({ id: `pg-many-${String(i).padStart(4, '0')}`, login: `pg.many.${i}`, last_name: 'Многострочная', first_name: 'Ученик', roles: '["student"]', school_ids: '["school-66"]', activated: true, region: '66' })))
      .execute();
    const b = cookieJar(broker.url);
    t.equal(await b.signIn(ADMIN_TOKEN), 303);
    const rowsOf = (html: string) => bare(html).match(/<tr><td>/g)?.length ?? 0;

    const first = await b.request('GET', '/admin?report=logins&region=66');
    t.equal(first.status, 200);
    t.equal(rowsOf(first.text), 1000);
    t.match(first.text, /Строк на этой странице: 1000 \(по 1000 на странице; весь отчёт одним файлом — в CSV\)/);
    t.match(first.text, /<a href="\/admin\?report=logins&amp;region=66&amp;after=pg-many-0999">Следующая страница<\/a>/);
    t.notMatch(first.text, /В начало/);

    const second = await b.request('GET', '/admin?report=logins&region=66&after=pg-many-0999');
    t.equal(rowsOf(second.text), 1);
    t.match(bare(second.text), /<td>pg-many-1000<\/td>/);
    t.match(second.text, /<a href="\/admin\?report=logins&amp;region=66">В начало<\/a>/);
    t.notMatch(second.text, /Следующая страница/);

    const bad = await b.request('GET', '/admin?report=logins&region=66&after=no-such-profile');
    t.equal(bad.status, 400);
    t.match(bad.text, /Страница: профиль, после которого начиналась страница, удалён; откройте отчёт с начала\./);
    t.equal((await b.request('GET', '/admin?report=outcomes&region=66&after=pg-many-0999')).status, 200, 'outcomes is one page: a stray after is ignored');
  });

  t.test('the API bearer token does not open the page, nor the page cookie the API', async (t) => {
    t.match(await (await fetch(`${broker.url}/admin`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text(), /Токен администратора/);
    t.equal((await fetch(`${broker.url}/admin/export/logins.csv`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status, 401);
  });

  t.test('in a real browser: enter the token once, filter, find the rows, download CSV', async (t) => {
    const browser = await launchBrowser();
    t.teardown(() => browser.close());
    const { context, page } = await newPage(browser);
    await page.goto(`${broker.url}/admin`);
    await page.getByLabel('Токен администратора').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Войти' }).click();
    await page.getByRole('heading', { name: 'Активность входа через госуслуги' }).waitFor();
    const cookies = await context.cookies();
    t.match(cookies.find((c) => c.name === 'eb_admin'), { httpOnly: true, sameSite: 'Strict', path: '/admin' });

    await page.getByLabel('Отчёт').selectOption('completeness');
    await page.getByLabel('Регион').fill('38');
    await page.getByLabel('Роль').selectOption('student');
    await page.getByRole('button', { name: 'Показать' }).click();
    await page.getByRole('heading', { name: 'Наполненность данными' }).waitFor();
    const rows = await page.locator('tbody tr').allInnerTexts();
    t.equal(rows.length, 1, rows.join(' | '));
    t.match(rows[0], /pg-student\s+Андреева Мария\s+ученик\s+—\s+МБОУ «СОШ № 7»\s+school-7\s+38\s+нет\s+нет\s+нет/);
    await saveScreenshot(page, 'admin-completeness');

    const href = await page.getByRole('link', { name: 'Скачать CSV' }).getAttribute('href');
    t.equal(href, '/admin/export/completeness.csv?region=38&role=student');
    const download = await context.request.get(`${broker.url}${href}`);
    t.same(parse(await download.text(), { columns: true, bom: true }), [{ profile_id: 'pg-student', full_name: 'Андреева Мария', roles: 'student', classes: '', schools: 'МБОУ «СОШ № 7»', school_ids: 'school-7', region: '38', has_snils: 'no', has_birth_date: 'no', activated: 'no' }]);

    await page.goto(`${broker.url}/admin?report=logins`);
    t.match(await page.locator('tbody').innerText(), /pg-teacher[^\n]*да[^\n]*20\.11\.2026 16:00 \(UTC\+8\)[^\n]*21\.11\.2026 16:00 \(UTC\+8\)\s+2/, 'times on the Irkutsk clock');
    await page.getByRole('button', { name: 'Выйти' }).click();
    await page.getByLabel('Токен администратора').waitFor();
    await context.close();
  });

  t.test('charts: server-drawn SVG under the strict CSP, seen in Chromium', async (t) => {
    const browser = await launchBrowser();
    t.teardown(() => browser.close());
    const { context, page } = await newPage(browser);
    const refused: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) refused.push(message.text());
    });
    await page.goto(`${broker.url}/admin`);
    await page.getByLabel('Токен администратора').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Войти' }).click();
    await page.getByRole('heading', { name: 'Активность входа через госуслуги' }).waitFor();

    const outcomes = await page.goto(`${broker.url}/admin?report=outcomes&region=38`);
    t.equal(outcomes?.headers()['content-security-policy'], "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'", 'the CSP is as strict as before: no script, no image source');
    const days = page.getByRole('img', { name: 'Входы через госуслуги по дням и итогам' });
    const box = await days.boundingBox();
    t.ok(box && box.width > 300 && box.height > 100, `the chart is drawn (${JSON.stringify(box)})`);
    t.same(await page.locator('svg.chart-days g[data-day]').evaluateAll((groups) => groups.map((g) => [(g as unknown as { dataset: Record<string, string> }).dataset['day'], (g as unknown as { dataset: Record<string, string> }).dataset['total']])), [['2026-11-20', '1'], ['2026-11-21', '2'], ['2026-11-22', '1']], 'a column per Irkutsk day');
    t.match(await page.locator('ul.legend').innerText(), /успешный вход[\s\S]*отказ в доступе к данным на госуслугах[\s\S]*профиль не привязан к ОО/);
    await saveScreenshot(page, 'admin-chart-logins-per-day');

    await page.goto(`${broker.url}/admin?report=logins&region=38`);
    const share = page.getByRole('img', { name: 'Доля людей каждой ОО, входивших через госуслуги' });
    t.ok(((await share.boundingBox())?.height ?? 0) > 20, 'the share chart is drawn');
    t.same(await page.locator('svg.chart-schools g[data-school]').evaluateAll((groups) => groups.map((g) => (g as unknown as { textContent: string }).textContent.replace(/\s+/g, ' ').trim())), ['МБОУ «СОШ № 7»: 50 % (1 из 2) МБОУ «СОШ № 7» 50 % (1 из 2)'], 'school-7 by its name in the directory: the teacher logged in, the pupil not');
    await saveScreenshot(page, 'admin-chart-school-share');

    await page.goto(`${broker.url}/admin?report=completeness&role=teacher`);
    const snils = page.getByRole('img', { name: 'Профили без СНИЛС по ОО' });
    t.ok(((await snils.boundingBox())?.height ?? 0) > 20, 'the SNILS chart is drawn');
    const schools = await page.locator('svg.chart-schools g[data-school]').evaluateAll((groups) => groups.map((g) => (g as unknown as { dataset: Record<string, string> }).dataset['school']));
    t.same(schools, ['МБОУ «СОШ № 7»', 'организация school-9'], 'both teachers lack a SNILS, one in each school (school-9 is not in the directory)');
    await saveScreenshot(page, 'admin-chart-without-snils');
    t.same(refused, [], 'the browser refused nothing under the CSP');
    await context.close();
  });

  t.test('on a 375×812 phone every report fits the screen: rows become cards', async (t) => {
    const browser = await launchBrowser();
    t.teardown(() => browser.close());
    const { context, page } = await newPage(browser, { viewport: PHONE_VIEWPORT });
    await page.goto(`${broker.url}/admin`);
    await page.getByLabel('Токен администратора').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Войти' }).click();
    await page.getByRole('heading', { name: 'Активность входа через госуслуги' }).waitFor();
    for (const [report, query] of [['logins', 'region=38'], ['completeness', ''], ['outcomes', 'region=38'], ['logins', 'region=66']] as const) {
      await page.goto(`${broker.url}/admin?report=${report}&${query}`);
      const width = await page.evaluate(() => {
        const w = globalThis as unknown as Dom;
        return { document: w.document.documentElement.scrollWidth, viewport: w.innerWidth, body: w.document.body.scrollWidth };
      });
      t.ok(width.document <= PHONE_VIEWPORT.width && width.body <= PHONE_VIEWPORT.width, `${report} ${query}: ${width.document} px wide in a ${width.viewport} px screen`);
      const firstRow = page.locator('tbody tr').first();
      t.equal(await firstRow.evaluate((tr) => (globalThis as unknown as Dom).getComputedStyle(tr).display), 'block', `${report}: a row is a card`);
      const label = await firstRow.locator('td').first().evaluate((td) => (globalThis as unknown as Dom).getComputedStyle(td, '::before').content);
      t.match(label, /^".+"$/, `${report}: each value is labelled with its column (${label})`);
      if (report === 'logins' && query === 'region=38') await saveScreenshot(page, 'admin-logins-phone');
    }
    await page.setViewportSize({ width: 1024, height: 720 });
    t.equal(await page.locator('thead').evaluate((thead) => (globalThis as unknown as Dom).getComputedStyle(thead).position), 'static', 'on a wide screen it stays a table with its header');
    await context.close();
  });
});

t.test('without ADMIN_TOKEN the page does not exist; failed token entries lock out', async (t) => {
  const queries = {} as AdminQueries;
  const audit = { record: async () => undefined };
  const state = createMemoryStateStore();
  const off = Fastify();
  await off.register(cookie, { secret: 'cookie-secret-0123456789abcdef' });
  registerAdminPage(off, { adminToken: undefined, sessions: createAdminSessions(state, { adminToken: undefined, ttlMs: 1000, storeKey: createStoreKeyHash('test-store-key-secret-0123456789') }), queries, loginEventsKeptDays: 365, audit, publicUrl: 'http://localhost' });
  t.equal((await off.inject({ url: '/admin' })).statusCode, 404);
  t.equal((await off.inject({ method: 'POST', url: '/admin/login', payload: { token: 'x' } })).statusCode, 404);

  const sessions = createAdminSessions(state, { adminToken: ADMIN_TOKEN, ttlMs: 60_000, storeKey: createStoreKeyHash('test-store-key-secret-0123456789') });
  for (let i = 0; i < 10; i++) t.match(await sessions.login('wrong-token', '10.0.0.1'), { kind: 'wrong-token' });
  t.match(await sessions.login(ADMIN_TOKEN, '10.0.0.1'), { kind: 'locked' }, 'even the right token waits out the lockout');
  t.match(await sessions.login(ADMIN_TOKEN, '10.0.0.2'), { kind: 'ok' }, 'other addresses are not affected');
});
