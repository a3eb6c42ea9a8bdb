import t, { type Test } from 'tap';
import * as oidc from 'openid-client';
import { Browser, passEsia } from '../../helpers/emulator.js';
import { startFlowEnvironment } from '../../helpers/login-flow.js';

// Two logins in two tabs of one browser (one cookie jar): each /authorize adds its interaction to
// the browser's eb_interaction list, so finishing the older one after the newer started works,
// through ESIA, the callback, the profile chooser and the code exchange.
const env = await startFlowEnvironment();
t.teardown(() => env.close());
const { harness } = env;
const region = '38';

interface Tab {
  /** Where the tab's /authorize sent the browser (ESIA). */
  esiaUrl: string;
  /** The state the diary sent with this tab's request. */
  state: string;
  exchange(redirect: URL): ReturnType<typeof oidc.authorizationCodeGrant>;
}

async function openTab(browser: Browser): Promise<Tab> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(env.config, {
    redirect_uri: env.client.redirectUri,
    scope: 'openid profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  const started = await browser.fetch(url.href);
  return {
    esiaUrl: Browser.location(started, url.href),
    state,
    exchange: (redirect) => oidc.authorizationCodeGrant(env.config, redirect, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true }),
  };
}

/** The tab goes through ESIA and lands on the broker's callback: its answer. */
async function throughEsia(browser: Browser, tab: Tab, oid: string): Promise<Response> {
  return browser.fetch(await esiaCallback(browser, tab, oid));
}

/** The tab goes through ESIA: the broker callback URL ESIA sends it to. */
async function esiaCallback(browser: Browser, tab: Tab, oid: string): Promise<string> {
  return (await passEsia(browser, tab.esiaUrl, { oid, callbackPrefix: `${env.broker.url}/esia/callback` })).callbackUrl;
}

/** Back to the diary with access_denied, login_superseded, the tab's own state and iss: never the generic page. */
function assertSuperseded(t: Test, response: Response, tab: Tab) {
  t.equal(response.status, 302, 'not the generic 400 page: back to the diary');
  const back = backToDiary(response);
  t.equal(back.searchParams.get('error'), 'access_denied');
  t.match(back.searchParams.get('error_description'), /^login_superseded: a newer login started in this browser replaced this one/, 'saying why');
  t.equal(back.searchParams.get('state'), tab.state, 'the tab’s own state, so the diary knows which request ended');
  t.equal(back.searchParams.get('iss'), env.broker.url);
  return back;
}

function backToDiary(response: Response): URL {
  const location = response.headers.get('location');
  if (response.status !== 302 || !location?.startsWith(env.client.redirectUri)) throw new Error(`expected a redirect to the diary, got ${response.status}`);
  return new URL(location);
}

async function choose(browser: Browser, page: string, profileId: string): Promise<Response> {
  const form = /<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/.exec(page);
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(page)?.[1];
  if (!form || !xsrf) throw new Error('no chooser form');
  return browser.fetch(new URL(form[1]!, env.broker.url).toString(), { form: { xsrf, profile_id: profileId } });
}

t.test('two tabs, one person: the older finishes first, then the newer; both get tokens', async (t) => {
  const profile = await harness.profile({ lastName: 'Смирнова', firstName: 'Елена', middleName: 'Викторовна', birthDate: '1984-05-12', snils: '145-278-903 84', roles: ['parent'], region });
  const browser = new Browser();
  const older = await openTab(browser);
  const newer = await openTab(browser);

  const first = await throughEsia(browser, older, '1000000101');
  t.equal(first.status, 302, 'the older tab is not refused for the newer one');
  t.equal((await older.exchange(backToDiary(first))).claims()!.sub, profile.id, 'the older tab logs in');

  const second = await throughEsia(browser, newer, '1000000101');
  t.equal((await newer.exchange(backToDiary(second))).claims()!.sub, profile.id, 'and so does the newer one');
});

t.test('two tabs on the profile chooser: each page posts for its own login', async (t) => {
  const person = { lastName: 'Соколова', firstName: 'Ольга', middleName: 'Николаевна', birthDate: '1982-08-22', snils: '171-834-205 61', region };
  const parent = await harness.profile({ ...person, roles: ['parent'], schoolIds: ['school-1'] });
  const teacher = await harness.profile({ ...person, roles: ['teacher'], schoolIds: ['school-2'] });
  const browser = new Browser();
  const older = await openTab(browser);
  const newer = await openTab(browser);
  const olderPage = await (await throughEsia(browser, older, '1000000107')).text();
  const newerPage = await (await throughEsia(browser, newer, '1000000107')).text();
  t.match(olderPage, /Выберите профиль/);
  t.match(newerPage, /Выберите профиль/);

  const olderTokens = await older.exchange(backToDiary(await choose(browser, olderPage, teacher.id)));
  t.equal(olderTokens.claims()!.sub, teacher.id, 'the older tab enters the profile chosen on its page');
  const newerTokens = await newer.exchange(backToDiary(await choose(browser, newerPage, parent.id)));
  t.equal(newerTokens.claims()!.sub, parent.id, 'the newer tab enters its own choice');
});

t.test('at most five pending logins per browser: a sixth tab gives up the first, which goes home to its diary saying so', async (t) => {
  const profile = await harness.profile({ lastName: 'Кузнецов', firstName: 'Андрей', middleName: 'Сергеевич', birthDate: '1979-11-03', snils: '153-624-871 70', roles: ['parent'], region });
  const browser = new Browser();
  const tabs: Tab[] = [];
  for (let i = 0; i < 6; i += 1) tabs.push(await openTab(browser));
  const callback = await esiaCallback(browser, tabs[0]!, '1000000102');

  const stranger = await new Browser().fetch(callback);
  t.equal(stranger.status, 400, 'another browser with the given-up login’s callback gets the stale page, not its diary redirect');
  await stranger.body?.cancel();

  const givenUp = await browser.fetch(callback);
  const back = assertSuperseded(t, givenUp, tabs[0]!);
  const failure = await tabs[0]!.exchange(back).then(
    () => undefined,
    (error: unknown) => error,
  );
  t.match(failure, { error: 'access_denied' }, 'openid-client reads it as the OAuth error it is');

  const kept = await throughEsia(browser, tabs[1]!, '1000000102');
  t.equal((await tabs[1]!.exchange(backToDiary(kept))).claims()!.sub, profile.id, 'the second of six still logs in');
});

t.test('a tab on the profile chooser given up for five newer ones: its choice goes home to its diary saying so', async (t) => {
  const person = { lastName: 'Соколова', firstName: 'Ольга', middleName: 'Николаевна', birthDate: '1982-08-22', snils: '171-834-205 61', region };
  const parent = await harness.profile({ ...person, roles: ['parent'], schoolIds: ['school-1'] });
  await harness.profile({ ...person, roles: ['teacher'], schoolIds: ['school-2'] });
  const browser = new Browser();
  const oldest = await openTab(browser);
  const page = await (await throughEsia(browser, oldest, '1000000107')).text();
  t.match(page, /Выберите профиль/);
  for (let i = 0; i < 5; i += 1) await openTab(browser);
  assertSuperseded(t, await choose(browser, page, parent.id), oldest);
});
