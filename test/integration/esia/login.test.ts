import t from 'tap';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { EsiaPersonHandler } from '../../../src/http/routes/esia-callback.js';
import { completeInteraction } from '../../../src/http/oidc/interaction-http.js';
import { createHash } from 'node:crypto';
import { INTERACTION_COOKIE, type InteractionFailure } from '../../../src/oidc/interaction.js';
import { startBroker, type TestBroker } from '../../helpers/broker.js';
import { ALL_TEST_SCOPES, Browser, loginThrough, passEsia, sharedDevKeys, startTestEmulator, testInteraction } from '../../helpers/emulator.js';
import { KNOWN_EMAIL, KNOWN_SNILS_DIGITS } from '../../fixtures/personal-data.js';

// Broker ↔ emulator over real HTTP: one emulator and one broker for the whole file.
const keys = await sharedDevKeys();
const emulator = await startTestEmulator();
t.teardown(() => emulator.close());

/** Stands in for the resolution leg: shows what the ESIA leg resolved, or completes the interaction. */
let completeWith: string | undefined;
const personHandler: EsiaPersonHandler = {
  async handle({ interactionId, person, request, reply }) {
    if (completeWith) return completeInteraction(request, reply, interactionId, { profileId: completeWith, esiaOid: person.oid, level: person.level, authTime: person.authTime, esiaSessionId: person.esiaSessionId });
    return reply.header('cache-control', 'no-store').send({ interactionId, person });
  },
};
const failures: Array<{ interactionId: string; failure: InteractionFailure }> = [];
const interactions = {
  async fail(interactionId: string, failure: InteractionFailure) {
    failures.push({ interactionId, failure });
    return `https://diary.example.ru/callback?error=${failure.error}&state=client-state`;
  },
};

const broker: TestBroker = await startBroker({
  env: { ESIA_URL: emulator.url, ESIA_CLIENT_ID: 'EDIARY_TEST', ESIA_TIMEOUT_MS: '2000', ESIA_SCOPES: 'openid fullname birthdate gender snils email mobile id_doc' },
  app: { esiaPersonHandler: personHandler, interactions },
});
t.teardown(() => broker.close());
await emulator.registerClient({
  clientId: 'EDIARY_TEST',
  redirectUris: [`${broker.url}/esia/callback`],
  certificates: [readFileSync(keys.clientCert, 'utf8')],
  scopes: ALL_TEST_SCOPES,
  tokenAlg: 'RS256',
});

const login = loginThrough(broker);
const interaction = testInteraction;

t.test('the authorization URL is the signed v2 request ESIA expects', async (t) => {
  const url = new URL(await broker.deps.loginStarter.start(interaction()));
  t.equal(url.origin + url.pathname, `${emulator.url}/aas/oauth2/v2/ac`);
  const p = url.searchParams;
  t.equal(p.get('client_id'), 'EDIARY_TEST');
  t.equal(p.get('redirect_uri'), `${broker.url}/esia/callback`);
  t.equal(p.get('response_type'), 'code');
  t.equal(p.get('access_type'), 'online');
  t.match(p.get('state'), /^[0-9a-f-]{36}$/);
  t.match(p.get('timestamp'), /^\d{4}\.\d{2}\.\d{2} \d{2}:\d{2}:\d{2} \+0000$/);
  t.match(p.get('client_secret'), /^[A-Za-z0-9_-]{86}$/, '64-byte signature, base64url without padding');
  t.match(p.get('client_certificate_hash'), /^[0-9A-F]{64}$/);
});

const levels = [
  { oid: '1000000101', level: 'standard', isChild: undefined, snils: '14527890384' },
  { oid: '1000000102', level: 'confirmed', isChild: undefined, snils: '15362487170' },
  { oid: '1000000103', level: 'simplified', isChild: undefined, snils: undefined },
  { oid: '1000000104', level: 'simplified', isChild: undefined, snils: undefined },
  { oid: '1000000105', level: 'simplified', isChild: true, snils: '16450938277' },
  { oid: '1000000106', level: 'standard', isChild: undefined, snils: KNOWN_SNILS_DIGITS },
] as const;

for (const expected of levels) {
  t.test(`full login: ${expected.oid} is ${expected.level}${expected.isChild ? ' (child account)' : ''}`, async (t) => {
    const { response, interaction: started } = await login(expected.oid);
    t.equal(response.status, 200);
    const body = (await response.json()) as { interactionId: string; person: Record<string, unknown> };
    t.equal(body.interactionId, started.id, 'handed over with the interaction of this browser');
    t.equal(body.person['oid'], expected.oid);
    t.equal(body.person['level'], expected.level);
    t.equal(body.person['isChild'], expected.isChild);
    t.equal(body.person['snils'], expected.snils);
    t.equal(body.person['snilsVerified'], expected.snils !== undefined && expected.level !== 'simplified');
    t.ok(typeof body.person['esiaSessionId'] === 'string' && typeof body.person['authTime'] === 'number');
  });
}

t.test('normalised person on the wire: names, ISO birth date, verified contacts only as ESIA says', async (t) => {
  const adult = (await (await login('1000000103')).response.json()) as { person: Record<string, unknown> };
  t.same(adult.person['emails'], [{ value: 'd.novikov@example.ru', verified: false }]);
  t.same(adult.person['mobiles'], [{ value: '+7(926)5550101', verified: true }]);
  t.equal(adult.person['birthDate'], undefined);
  const teen = (await (await login('1000000106')).response.json()) as { person: Record<string, unknown> };
  t.match(teen.person, { lastName: 'Иванова', firstName: 'Мария', middleName: 'Сергеевна', birthDate: '2009-03-14', gender: 'F', emails: [{ value: KNOWN_EMAIL, verified: true }], mobiles: [] });
  const child = (await (await login('1000000104')).response.json()) as { person: Record<string, unknown> };
  t.same(child.person['emails'], [{ value: 'artem.morozov2013@example.ru', verified: true }], 'a child with a verified e-mail');
});

/** The broker's calls to ESIA so far, by operation (its metrics). */
async function esiaCalls(): Promise<Record<string, number>> {
  const metrics = await (await fetch(`${broker.url}/metrics`)).text();
  const calls: Record<string, number> = {};
  for (const m of metrics.matchAll(/^esia_broker_esia_request_duration_seconds_count\{operation="(\w+)",[^}]*\} (\d+)$/gm)) calls[m[1]!] = (calls[m[1]!] ?? 0) + Number(m[2]);
  return calls;
}
const callsDuring = async (run: () => Promise<unknown>) => {
  const before = await esiaCalls();
  await run();
  const after = await esiaCalls();
  return Object.fromEntries(['token', 'person', 'contacts', 'documents'].map((op) => [op, (after[op] ?? 0) - (before[op] ?? 0)]));
};

t.test('the person is read once, contacts and documents inline; an ESIA that will not inline them gets them read on their own', async (t) => {
  let inline: Record<string, unknown> = {};
  t.same(await callsDuring(async () => (inline = ((await (await login('1000000106')).response.json()) as { person: Record<string, unknown> }).person)), { token: 1, person: 1, contacts: 0, documents: 0 });
  emulator.faults.set({ personEmbedIgnored: true });
  t.teardown(() => emulator.faults.reset());
  let separate: Record<string, unknown> = {};
  t.same(await callsDuring(async () => (separate = ((await (await login('1000000106')).response.json()) as { person: Record<string, unknown> }).person)), { token: 1, person: 1, contacts: 1, documents: 1 });
  const stable = ({ esiaSessionId: _s, authTime: _a, ...rest }: Record<string, unknown>) => rest;
  t.same(stable(separate), stable(inline), 'the same person either way');
  t.match(inline, { level: 'standard', emails: [{ value: KNOWN_EMAIL, verified: true }] }, 'the documents made the level, the contacts the e-mail');
});

t.test('consent refused: the reason page, the interaction failed with access_denied', async (t) => {
  failures.length = 0;
  const { response, interaction: started, callbackUrl } = await login('1000000101', 'deny');
  t.match(new URL(callbackUrl).searchParams.get('error_description'), /^ESIA-007004/, 'ESIA said 007004 on the callback');
  t.equal(response.status, 403);
  const page = await response.text();
  t.match(page, /data-reason="consent_refused"/);
  t.match(page, /Вы отказали в доступе к данным/);
  t.match(page, /href="https:\/\/diary\.example\.ru\/callback\?error=access_denied&amp;state=client-state"/, 'back link to the diary');
  t.notMatch(page, /ESIA-0070/, 'no ESIA text');
  t.same(failures, [{ interactionId: started.id, failure: { error: 'access_denied', reason: 'consent_refused', description: 'the person refused consent at ESIA' } }]);
});

t.test('the callback is taken once and bound to the browser that started the login', async (t) => {
  const first = await login('1000000102');
  t.equal(first.response.status, 200);
  const replay = await first.browser.fetch(first.callbackUrl);
  t.equal(replay.status, 400, 'a second use of the same state is refused');
  t.match(await replay.text(), /начните вход заново/);

  const browser = new Browser();
  const started = interaction();
  browser.setCookie(broker.url, INTERACTION_COOKIE, broker.app.signCookie(randomUUID())); // another interaction
  const { callbackUrl } = await passEsia(browser, await broker.deps.loginStarter.start(started), { oid: '1000000102', callbackPrefix: `${broker.url}/esia/callback` });
  t.equal((await browser.fetch(callbackUrl)).status, 400, 'cookie of another interaction');

  const forged = new Browser();
  const victim = interaction();
  forged.setCookie(broker.url, INTERACTION_COOKIE, `${victim.id}.not-a-signature`);
  const passed = await passEsia(forged, await broker.deps.loginStarter.start(victim), { oid: '1000000102', callbackPrefix: `${broker.url}/esia/callback` });
  t.equal((await forged.fetch(passed.callbackUrl)).status, 400, 'an unsigned cookie does not bind');

  const unknown = await new Browser().fetch(`${broker.url}/esia/callback?state=${randomUUID()}&code=abc`);
  t.equal(unknown.status, 400);
  t.equal((await new Browser().fetch(`${broker.url}/esia/callback?state=1&state=2`)).status, 400, 'repeated parameters');
});

t.test('a callback from another browser with a stolen state does not burn the real browser\'s login', async (t) => {
  const victim = new Browser();
  const started = interaction();
  victim.setCookie(broker.url, INTERACTION_COOKIE, broker.app.signCookie(started.id));
  const { callbackUrl } = await passEsia(victim, await broker.deps.loginStarter.start(started), { oid: '1000000102', callbackPrefix: `${broker.url}/esia/callback` });

  const attacker = new Browser();
  attacker.setCookie(broker.url, INTERACTION_COOKIE, broker.app.signCookie(randomUUID())); // its own, valid, other interaction
  const stolen = await attacker.fetch(callbackUrl);
  t.equal(stolen.status, 400, 'the foreign browser gets the error page');
  t.match(await stolen.text(), /Не удалось выполнить вход/);
  t.equal((await new Browser().fetch(callbackUrl)).status, 400, 'so does a browser without the cookie');

  const real = await victim.fetch(callbackUrl);
  t.equal(real.status, 200, 'the browser that started the login still completes it');
  t.match(await real.json(), { interactionId: started.id, person: { oid: '1000000102' } });
  t.equal((await victim.fetch(callbackUrl)).status, 400, 'and then the state is spent');
});

t.test('forceLogin: ESIA logout first, so the person logs in again', async (t) => {
  const first = await login('1000000101');
  t.equal(first.sawLoginPage, true);
  const sso = await login('1000000101', 'grant', { browser: first.browser });
  t.equal(sso.sawLoginPage, false, 'ESIA SSO session: no login page the second time');
  t.equal(sso.response.status, 200);
  const forced = await login('1000000102', 'grant', { browser: first.browser, interaction: interaction({ forceLogin: true }) });
  t.match(forced.esiaUrl, /\/idp\/ext\/Logout\?client_id=EDIARY_TEST&redirect_url=/);
  t.equal(forced.sawLoginPage, true, 'the login page again');
  t.equal(forced.response.status, 200);
  t.match(await forced.response.json(), { person: { oid: '1000000102' } }, 'and a different person could log in');
});

t.test('logout URL uses redirect_url', async (t) => {
  const url = new URL(broker.deps.esiaClient.logoutUrl('https://diary.example.ru/bye'));
  t.equal(url.pathname, '/idp/ext/Logout');
  t.same(Object.fromEntries(url.searchParams), { client_id: 'EDIARY_TEST', redirect_url: 'https://diary.example.ru/bye' });
});

t.test('end to end from /authorize: the real interaction cookie binds the callback, the code goes to the diary', async (t) => {
  completeWith = 'profile-e2e';
  t.teardown(() => void (completeWith = undefined));
  const browser = new Browser();
  const verifier = 'e2e-verifier-0123456789-0123456789-0123456789';
  const authorize = new URL(`${broker.url}/authorize`);
  for (const [k, v] of Object.entries({ client_id: 'demo-diary', redirect_uri: 'http://localhost:3001/callback', response_type: 'code', scope: 'openid', state: 'diary-state', nonce: 'n-1', region: '38', code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256' })) authorize.searchParams.set(k, v);
  const started = await browser.fetch(authorize.toString());
  const esiaUrl = Browser.location(started, authorize.toString());
  t.match(esiaUrl, `${emulator.url}/aas/oauth2/v2/ac?`, '/authorize sent the browser to ESIA through our LoginStarter');
  const { callbackUrl } = await passEsia(browser, esiaUrl, { oid: '1000000102', callbackPrefix: `${broker.url}/esia/callback` });
  const back = await browser.fetch(callbackUrl);
  const diary = new URL(Browser.location(back, callbackUrl));
  t.equal(diary.origin + diary.pathname, 'http://localhost:3001/callback');
  t.equal(diary.searchParams.get('state'), 'diary-state');
  t.ok(diary.searchParams.get('code'), 'an authorization code for the diary');
});
