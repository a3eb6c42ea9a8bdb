import t from 'tap';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import type { PersonaInput } from '../../../src/emulator/personas.js';
import { backLink, flowLogin, reasonOf, startFlowEnvironment } from '../../helpers/login-flow.js';
import { registerClient } from '../../helpers/oidc.js';
import { KNOWN_PASSWORD } from '../../fixtures/personal-data.js';

// One outcome per test, each through ESIA (the emulator), the broker and openid-client as the
// diary; afterwards Postgres holds exactly the expected links and audit rows.
const impostor: PersonaInput = {
  oid: '1000000199',
  label: 'Самозванец: ФИО и дата рождения ребёнка, без почты',
  trusted: false,
  lastName: 'Морозов',
  firstName: 'Артём',
  middleName: 'Игоревич',
  birthDate: '09.09.2013',
  gender: 'M',
  contacts: [{ type: 'MBT', value: '+7(999)0000199', vrfStu: 'VERIFIED' }],
};
const env = await startFlowEnvironment({ extraPersonas: [impostor] });
t.teardown(() => env.close());
const login = flowLogin(env);
const { harness } = env;
const db = env.broker.deps.database.db;
const region = '38';

const linksOf = (oid: string) => db.selectFrom('account_links').select(['profile_id', 'method', 'is_default']).where('esia_oid', '=', oid).orderBy('profile_id').execute();
const auditOf = (oid: string) => db.selectFrom('audit_events').select(['action', 'outcome', 'reason', 'target']).where('actor', '=', `esia:${oid}`).orderBy('id').execute();

t.test('adult with a Standard account: matched by name + SNILS, code issued, tokens carry acr', async (t) => {
  const profile = await harness.profile({ lastName: 'Смирнова', firstName: 'Елена', middleName: 'Викторовна', birthDate: '1984-05-12', snils: '145-278-903 84', roles: ['parent'], region });
  const result = await login('1000000101');
  t.ok(result.clientRedirect, 'sent back to the diary with a code');
  t.equal(result.clientRedirect?.searchParams.get('iss'), env.broker.url);
  const tokens = await result.tokens();
  const claims = tokens.claims()!;
  t.equal(claims.sub, profile.id, 'sub is the diary profile');
  t.equal(claims['acr'], 'urn:esia:standard');
  t.same(claims['amr'], ['esia']);
  t.equal(decodeJwt(tokens.access_token).sub, profile.id);
  t.same(await linksOf('1000000101'), [{ profile_id: profile.id, method: 'snils', is_default: false }]);
  t.same((await auditOf('1000000101')).map((a) => [a.action, a.outcome, a.target]), [['link.create', 'linked', profile.id], ['login', 'success', profile.id]]);

  const again = await login('1000000101');
  t.equal((await again.tokens()).claims()!.sub, profile.id, 'the stored link wins the next time');
  t.equal((await linksOf('1000000101')).length, 1, 'no second link');
});

t.test('adult with a Confirmed account', async (t) => {
  const profile = await harness.profile({ lastName: 'Кузнецов', firstName: 'Андрей', middleName: 'Сергеевич', birthDate: '1979-11-03', snils: '153-624-871 70', roles: ['parent'], region });
  const claims = (await (await login('1000000102')).tokens()).claims()!;
  t.equal(claims.sub, profile.id);
  t.equal(claims['acr'], 'urn:esia:confirmed');
});

t.test('adult with a Simplified account: refused, level too low, shown like a wrong password', async (t) => {
  // A Simplified account carries no birth date: no automatic match, so the person proves the
  // diary profile first; its birth date then shows an adult, whose level is too low. That is
  // decided after the right password, so the form answers as for a wrong one (no password
  // oracle); the audit keeps the reason.
  const profile = await harness.profile({ lastName: 'Новиков', firstName: 'Дмитрий', middleName: 'Павлович', birthDate: '1980-01-01', snils: null, roles: ['parent'], region });
  const result = await login('1000000103');
  t.match(result.page, /не смогли найти Ваш профиль/);
  await result.submit({ login: profile.login, password: profile.password });
  t.equal(result.response.status, 401);
  t.equal(reasonOf(result.page), undefined);
  t.match(result.page, /Неверный логин или пароль, либо этот профиль нельзя привязать/);
  t.equal(result.clientRedirect, undefined);
  t.same(await linksOf('1000000103'), []);
  t.same((await auditOf('1000000103')).map((a) => [a.action, a.outcome, a.reason]), [['link.manual_attempt', 'refused', 'esia_level_too_low']]);
});

t.test('child with a Simplified account: linked by the confirmed e-mail', async (t) => {
  const profile = await harness.profile({ lastName: 'Морозов', firstName: 'Артём', middleName: 'Игоревич', birthDate: '2013-09-09', email: 'artem.morozov2013@example.ru', emailConfirmed: true, roles: ['student'], region });
  const result = await login('1000000104');
  t.equal((await result.tokens()).claims()!['acr'], 'urn:esia:simplified');
  t.same(await linksOf('1000000104'), [{ profile_id: profile.id, method: 'email', is_default: false }]);

  // The same name and birth date, self-declared, without the e-mail: never a code.
  const impostorLogin = await login('1000000199');
  t.equal(impostorLogin.clientRedirect, undefined, 'no code for name + birth date alone');
  t.match(impostorLogin.page, /не смогли найти Ваш профиль/, 'only the manual-link form (diary password) is offered');
  await impostorLogin.submit({ login: profile.login, password: 'guessing-123' });
  t.equal(impostorLogin.response.status, 401);
  t.equal(impostorLogin.clientRedirect, undefined);
  t.same(await linksOf('1000000199'), []);
});

t.test('parent who is also a teacher: chooses, and the choice is remembered', async (t) => {
  const person = { lastName: 'Соколова', firstName: 'Ольга', middleName: 'Николаевна', birthDate: '1982-08-22', snils: '171-834-205 61', region };
  const parent = await harness.profile({ ...person, roles: ['parent'], schoolIds: ['school-1'] });
  const teacher = await harness.profile({ ...person, roles: ['teacher'], schoolIds: ['school-2'] });
  await env.broker.deps.schoolImport({ format: 'json', data: [{ id: 'school-2', full_name: 'Муниципальное автономное общеобразовательное учреждение «Лицей № 12»', short_name: 'МАОУ «Лицей № 12»', municipality: 'г. Иркутск', region: '38' }] }, { actor: 'admin:test' });
  const first = await login('1000000107');
  t.equal(first.response.status, 200);
  t.match(first.page, /Выберите профиль/);
  t.match(first.page, /<strong>Учитель<\/strong>\n<span id="profile-\d-details">МАОУ «Лицей № 12»<\/span>/, 'the teacher profile by its school\'s short name');
  t.match(first.page, /<strong>Родитель<\/strong>\n<span id="profile-\d-details">организация school-1<\/span>/, 'a school missing from the directory: a neutral word and its code, no error');
  t.match(first.page, /<p>Соколова Ольга Николаевна<\/p>/, 'the name once, not on every profile');
  await first.submit({ profile_id: teacher.id }, 'name="profile_id"');
  t.equal((await first.tokens()).claims()!.sub, teacher.id, 'enters the chosen profile');
  t.same(await linksOf('1000000107'), [parent.id, teacher.id].sort().map((id) => ({ profile_id: id, method: 'snils', is_default: id === teacher.id })));

  const second = await login('1000000107');
  t.match(second.page, new RegExp(`value="${teacher.id}" required checked`), 'last choice preselected');
  await second.submit({ profile_id: parent.id }, 'name="profile_id"');
  t.equal((await second.tokens()).claims()!.sub, parent.id);

  const forged = await login('1000000107');
  await forged.submit({ profile_id: 'someone-else' }, 'name="profile_id"');
  t.equal(reasonOf(forged.page), 'link_failed', 'a forged pick is refused');
});

t.test('adult whose diary profile has no SNILS: links by hand with the diary login and password', async (t) => {
  const profile = await harness.profile({ lastName: 'Лебедев', firstName: 'Игорь', middleName: 'Александрович', birthDate: '1975-02-07', snils: null, password: KNOWN_PASSWORD, roles: ['teacher'], region });
  const result = await login('1000000108');
  t.match(result.page, /не смогли найти Ваш профиль/);
  await result.submit({ login: profile.login, password: 'wrong-password' });
  t.equal(result.response.status, 401);
  t.match(result.page, /Неверный логин или пароль/);
  await result.submit({ login: profile.login, password: KNOWN_PASSWORD });
  t.equal(result.response.status, 200);
  t.match(result.page, /Отлично! Теперь вы можете входить/);
  t.match(result.page, /Связанный профиль: <strong>Учитель<\/strong> · организация school-1/, 'which profile was linked: role and school');
  t.same(await linksOf('1000000108'), [{ profile_id: profile.id, method: 'manual', is_default: false }], 'link stored before the code');
  await result.follow(/href="([^"]+)">Перейти/.exec(result.page)![1]!);
  t.equal((await result.tokens()).claims()!.sub, profile.id);
});

t.test('the diary holds another name for this SNILS: name_snils_mismatch', async (t) => {
  await harness.profile({ lastName: 'Петрова', firstName: 'Наталья', middleName: 'Юрьевна', birthDate: '1987-01-30', snils: '190-385-627 87', roles: ['parent'], region });
  const result = await login('1000000109');
  t.equal(reasonOf(result.page), 'name_snils_mismatch');
  t.match(result.page, /администратором/);
  t.same(await linksOf('1000000109'), []);
});

t.test('profile attached to no school: profile_not_attached', async (t) => {
  await harness.profile({ lastName: 'Попов', firstName: 'Сергей', middleName: 'Викторович', birthDate: '1988-06-15', snils: '128-456-039 68', roles: ['parent'], schoolIds: [], region });
  const result = await login('1000000110');
  t.equal(reasonOf(result.page), 'profile_not_attached');
});

t.test('consent refused at ESIA', async (t) => {
  const result = await login('1000000106', { decision: 'deny' });
  t.equal(reasonOf(result.page), 'consent_refused');
  t.equal(backLink(result.page)?.searchParams.get('error'), 'access_denied');
});

t.test('cancelling the manual link tells the diary and the person', async (t) => {
  const result = await login('1000000199');
  await result.follow(/href="(\/login\/cancel[^"]+)"/.exec(result.page)![1]!);
  t.equal(reasonOf(result.page), 'profile_not_found');
  t.equal(backLink(result.page)?.searchParams.get('error'), 'access_denied');
});

t.test('a step page cannot be replayed or forged', async (t) => {
  const result = await login('1000000199');
  await result.submit({ login: 'x', password: 'y', xsrf: 'forged' });
  t.equal(result.response.status, 400, 'wrong xsrf: the expired page, nothing done');
  t.match(result.page, /Время входа истекло/);
});

t.test('a NUL byte in the manual-link login or a chosen profile id: a Russian 400 page, never 500', async (t) => {
  const result = await login('1000000199');
  await result.submit({ login: 'a\u0000b', password: 'y' });
  t.equal(result.response.status, 400);
  t.match(result.response.headers.get('content-type'), /text\/html/);
  t.match(result.page, /<html lang="ru">/);
  const chooser = await result.browser.fetch(`${env.broker.url}/login/choose`, { form: { profile_id: 'p\u0000', xsrf: 'x' } });
  t.equal(chooser.status, 400, '/login/choose');
  const unlink = await result.browser.fetch(`${env.broker.url}/account/links/unlink`, { form: { profile_id: 'p\u0000', xsrf: 'x' } });
  t.equal(unlink.status, 400, '/account/links/unlink');
});

t.test('a person sees their links and unlinks one (audited); single sign-on ends with it', async (t) => {
  const result = await login('1000000102');
  const profileId = (await result.tokens()).claims()!.sub;
  const page = await result.browser.fetch(`${env.broker.url}/account/links`);
  t.equal(page.status, 200);
  const html = await page.text();
  t.match(html, /Кузнецов Андрей Сергеевич/);
  result.page = html;
  await result.submit({ profile_id: profileId }, `value="${profileId}"`);
  t.equal(result.response.status, 200);
  t.same(await linksOf('1000000102'), [], 'link removed');
  t.match((await auditOf('1000000102')).map((a) => a.action).join(' '), /link\.delete/);
  t.equal((await result.browser.fetch(`${env.broker.url}/account/links`)).status, 401, 'the broker session ended');

  const anonymous = await fetch(`${env.broker.url}/account/links/unlink`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `profile_id=${profileId}&xsrf=x` });
  t.equal(anonymous.status, 401, 'no session, no unlink');
});

t.test('single sign-on enters only profiles still linked: an admin unlink takes effect at once', async (t) => {
  const profile = await harness.profile({ lastName: 'Иванова', firstName: 'Мария', middleName: 'Сергеевна', birthDate: '2009-03-14', snils: '112-233-445 95', roles: ['student'], region });
  const first = await login('1000000106');
  t.equal((await first.tokens()).claims()!.sub, profile.id);

  const authorize = (state: string) =>
    `${env.broker.url}/authorize?${new URLSearchParams({ client_id: env.client.clientId, redirect_uri: env.client.redirectUri, response_type: 'code', scope: 'openid', state, code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' })}`;
  const sso = await first.browser.fetch(authorize('sso-1'));
  t.match(sso.headers.get('location'), new RegExp(`^${env.client.redirectUri}\\?code=`), 'with the link: straight back with a code');

  t.ok(await env.broker.deps.accounts.unlink({ kind: 'admin', name: 'test' }, '1000000106', profile.id));
  const after = await first.browser.fetch(authorize('sso-2'));
  t.match(after.headers.get('location'), new RegExp(`^${env.emulator.url}`), 'after the unlink: back to ESIA, no code');
});

t.test('region_not_enabled: refused at /authorize, nobody is sent to ESIA, the diary learns the reason', async (t) => {
  const moscow = await registerClient(env.broker.deps, { regions: ['77'] }); // not in the region table (the ESIA-login help page)
  const config = await oidc.discovery(new URL(env.broker.url), moscow.clientId, undefined, oidc.ClientSecretBasic(moscow.secret), { execute: [oidc.allowInsecureRequests] });
  const state = oidc.randomState();
  const verifier = oidc.randomPKCECodeVerifier();
  const authorizeUrl = oidc.buildAuthorizationUrl(config, { redirect_uri: moscow.redirectUri, scope: 'openid', state, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
  const audited = await db.selectFrom('audit_events').select((eb) => eb.fn.countAll<string>().as('n')).where('reason', '=', 'region_not_enabled').executeTakeFirstOrThrow();

  const response = await fetch(authorizeUrl, { redirect: 'manual' });
  t.equal(response.status, 302);
  const back = new URL(response.headers.get('location')!);
  t.ok(back.href.startsWith(moscow.redirectUri), 'straight back to the diary, not to ESIA');
  t.equal(back.searchParams.get('error'), 'access_denied');
  t.match(back.searchParams.get('error_description'), /^region_not_enabled: /, 'the reason code leads the description');
  t.equal(back.searchParams.get('iss'), env.broker.url);
  const seen = await oidc.authorizationCodeGrant(config, back, { pkceCodeVerifier: verifier, expectedState: state }).catch((error: unknown) => error);
  t.match(seen, { name: 'AuthorizationResponseError', error: 'access_denied' }, 'a standard client sees access_denied');

  const after = await db.selectFrom('audit_events').select(['actor', 'outcome', 'region', 'client_id']).where('reason', '=', 'region_not_enabled').orderBy('id', 'desc').executeTakeFirstOrThrow();
  t.same(after, { actor: 'anonymous', outcome: 'refused', region: '77', client_id: moscow.clientId }, 'audited for the outcome report');
  t.ok(Number((await db.selectFrom('audit_events').select((eb) => eb.fn.countAll<string>().as('n')).where('reason', '=', 'region_not_enabled').executeTakeFirstOrThrow()).n) === Number(audited.n) + 1, 'one row');
  t.match(await (await fetch(`${env.broker.url}/metrics`)).text(), /esia_broker_login_outcomes_total\{outcome="region_not_enabled",region="77"\} 1/);

  // The client's own region is open: the same client setup goes on to ESIA.
  const open = await fetch(env.config.serverMetadata().authorization_endpoint + '?' + new URLSearchParams({ client_id: env.client.clientId, redirect_uri: env.client.redirectUri, response_type: 'code', scope: 'openid', state: 's', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' }), { redirect: 'manual' });
  t.match(open.headers.get('location'), new RegExp(`^${env.emulator.url}`));
});

t.test('a refusal after ESIA also names its reason to the diary', async (t) => {
  const result = await login('1000000101', { decision: 'deny' });
  t.equal(reasonOf(result.page), 'consent_refused');
  const back = backLink(result.page)!;
  t.equal(back.searchParams.get('error'), 'access_denied');
  t.match(back.searchParams.get('error_description'), /^consent_refused: /);
  t.match(result.response.headers.get('content-security-policy'), /default-src 'none'.*frame-ancestors 'none'/, 'our pages run no script and are never framed');
  t.equal(result.response.headers.get('x-frame-options'), 'DENY');
  t.equal(result.response.headers.get('referrer-policy'), 'no-referrer', 'no page leaks its URL (state, codes) to another site');
});
