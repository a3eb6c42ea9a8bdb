import t from 'tap';
import { TestBrowser, insertProfile, registerClient, startOidcBroker } from '../../helpers/oidc.js';
import type { EsiaLevel } from '../../../src/esia/person.js';

// acr_values is honoured: a login below the level asked is refused with the reason, not issued.
const broker = await startOidcBroker();
t.teardown(() => broker.close());
const diary = await registerClient(broker.deps);
const profileId = (await insertProfile(broker.deps)).id;

function loginAt(level: EsiaLevel) {
  broker.loginAs(() => ({ profile: { profileId, esiaOid: `40000${level.length}`, level, authTime: Math.floor(Date.now() / 1000) } }));
}

async function authorize(browser: TestBrowser, acrValues: string | undefined): Promise<URL> {
  const url = new URL(`${broker.url}/authorize`);
  const params: Record<string, string> = { client_id: diary.clientId, redirect_uri: diary.redirectUri, response_type: 'code', scope: 'openid', state: 'st-1', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' };
  if (acrValues !== undefined) params['acr_values'] = acrValues;
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return new URL((await browser.navigate(url.toString())).url);
}

t.test('a login below the requested level is refused with a clear reason', async (t) => {
  loginAt('simplified');
  const back = await authorize(new TestBrowser(broker.url), 'urn:esia:standard');
  t.equal(back.searchParams.get('error'), 'access_denied');
  t.match(back.searchParams.get('error_description'), /^acr_not_satisfied: .*urn:esia:standard.*urn:esia:simplified/);
  t.notOk(back.searchParams.has('code'), 'no code');
  t.equal(back.searchParams.get('state'), 'st-1');
});

t.test('a level at or above the lowest value asked is issued', async (t) => {
  loginAt('simplified');
  t.ok((await authorize(new TestBrowser(broker.url), 'urn:esia:simplified urn:esia:confirmed')).searchParams.get('code'), 'any listed value will do');
  loginAt('confirmed');
  t.ok((await authorize(new TestBrowser(broker.url), 'urn:esia:standard')).searchParams.get('code'), 'confirmed satisfies standard');
  loginAt('standard');
  t.ok((await authorize(new TestBrowser(broker.url), 'urn:example:unknown')).searchParams.get('code'), 'unknown values are ignored');
  t.ok((await authorize(new TestBrowser(broker.url), undefined)).searchParams.get('code'), 'no acr_values: no requirement');
});

t.test('an SSO session below the level is refused too', async (t) => {
  loginAt('standard');
  const browser = new TestBrowser(broker.url);
  t.ok((await authorize(browser, undefined)).searchParams.get('code'), 'first login, standard');
  const sso = await authorize(browser, 'urn:esia:confirmed');
  t.equal(sso.searchParams.get('error'), 'access_denied');
  t.match(sso.searchParams.get('error_description'), /^acr_not_satisfied/);
});
