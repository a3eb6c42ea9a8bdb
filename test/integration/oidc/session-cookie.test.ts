import t, { type Test } from 'tap';
import { TestBrowser, insertProfile, registerClient, startOidcBroker, type OidcTestBroker } from '../../helpers/oidc.js';

/**
 * The SSO session cookie (eb_session) is Secure exactly when PUBLIC_URL is https: behind a
 * TLS-terminating proxy the broker itself speaks http, so the issuer decides, not the socket.
 */
async function loginSetCookies(t: Test, broker: OidcTestBroker): Promise<string[]> {
  const profile = await insertProfile(broker.deps);
  const diary = await registerClient(broker.deps);
  broker.loginAs(() => ({ profile: { profileId: profile.id, esiaOid: '1000020', level: 'standard', authTime: Math.floor(Date.now() / 1000) } }));
  const browser = new TestBrowser(broker.url);
  const seen: string[] = [];
  let url = `${broker.url}/authorize?${new URLSearchParams({ client_id: diary.clientId, redirect_uri: diary.redirectUri, response_type: 'code', scope: 'openid', state: 's' })}`;
  for (let hop = 0; hop < 10 && url.startsWith(broker.url); hop += 1) {
    const response = await browser.request(url);
    seen.push(...response.headers.getSetCookie());
    const location = response.headers.get('location');
    if (!location) throw new Error(`login stopped at ${url} with ${response.status}`);
    url = new URL(location, url).toString();
  }
  t.ok(new URL(url).searchParams.get('code'), 'the login completed with a code');
  return seen;
}

function attributesOf(lines: string[], name: string): string[] {
  const line = lines.find((l) => l.startsWith(`${name}=`) && !/max-age=0|expires=thu, 01 jan 1970/i.test(l));
  if (!line) throw new Error(`no ${name} cookie set`);
  return line.split(';').slice(1).map((a) => a.trim().toLowerCase());
}

t.test('PUBLIC_URL https: eb_session is Secure (and HttpOnly, SameSite=Lax)', async (t) => {
  const broker = await startOidcBroker({ env: { PUBLIC_URL: 'https://broker.example' } });
  t.teardown(() => broker.close());
  t.equal(broker.deps.oidc.ctx.issuer, 'https://broker.example', 'the issuer is the https PUBLIC_URL');
  const lines = await loginSetCookies(t, broker);
  const session = attributesOf(lines, 'eb_session');
  t.ok(session.includes('secure'), 'eb_session is Secure');
  t.ok(session.includes('httponly'), 'eb_session is HttpOnly');
  t.ok(session.includes('samesite=lax'), 'eb_session is SameSite=Lax');
  t.ok(attributesOf(lines, 'eb_interaction').includes('secure'), 'eb_interaction is Secure too');
});

t.test('PUBLIC_URL http (development): eb_session is not Secure, or browsers would drop it', async (t) => {
  const broker = await startOidcBroker();
  t.teardown(() => broker.close());
  t.match(broker.deps.oidc.ctx.issuer, /^http:/, 'the issuer is the http PUBLIC_URL');
  const session = attributesOf(await loginSetCookies(t, broker), 'eb_session');
  t.notOk(session.includes('secure'), 'eb_session is not Secure');
  t.ok(session.includes('httponly'), 'still HttpOnly');
});
