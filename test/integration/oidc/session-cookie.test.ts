import t, { type Test } from 'tap';
import { Redis } from 'ioredis';
import { TestBrowser, insertProfile, registerClient, startOidcBroker, type OidcTestBroker } from '../../helpers/oidc.js';

/**
 * The SSO session cookie (eb_session) is Secure exactly when PUBLIC_URL is https: behind a
 * TLS-terminating proxy the broker itself speaks http, so the issuer decides, not the socket.
 */
async function loginSetCookies(t: Test, broker: OidcTestBroker, browser = new TestBrowser(broker.url)): Promise<string[]> {
  const profile = await insertProfile(broker.deps);
  const diary = await registerClient(broker.deps);
  broker.loginAs(() => ({ profile: { profileId: profile.id, esiaOid: '1000020', level: 'standard', authTime: Math.floor(Date.now() / 1000) } }));
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

t.test('Redis holds the SSO session under a hash: no key or value contains the eb_session id', { skip: process.env['REDIS_URL'] ? false : 'needs REDIS_URL' }, async (t) => {
  const broker = await startOidcBroker();
  t.teardown(() => broker.close());
  t.equal(broker.deps.state.kind, 'redis');
  const browser = new TestBrowser(broker.url);
  await loginSetCookies(t, broker, browser);
  // The cookie is signed: "<id>.<signature>", URL-encoded.
  const cookie = decodeURIComponent(browser.cookies.get('eb_session') ?? '');
  const sessionId = cookie.slice(0, cookie.lastIndexOf('.'));
  t.ok(sessionId.length >= 32, 'the browser holds a session id');

  const redis = new Redis(process.env['REDIS_URL']!);
  t.teardown(() => redis.quit());
  const keys = await redis.keys(`${broker.config.storage.redisKeyPrefix}*`);
  t.ok(keys.some((key) => key.includes('oidc:session:')), 'the session is in Redis');
  t.same(keys.filter((key) => key.includes(sessionId)), [], 'no key contains the session id');
  const values = await Promise.all(keys.map(async (key) => ((await redis.type(key)) === 'string' ? ((await redis.get(key)) ?? '') : '')));
  t.same(values.filter((value) => value.includes(sessionId)), [], 'no value contains it either');

  const second = await registerClient(broker.deps);
  const started = broker.started.length;
  const { url } = await browser.navigate(`${broker.url}/authorize?${new URLSearchParams({ client_id: second.clientId, redirect_uri: second.redirectUri, response_type: 'code', scope: 'openid', state: 's' })}`);
  t.ok(new URL(url).searchParams.get('code'), 'the cookie still finds the session: a second diary gets a code at once');
  t.equal(broker.started.length, started, 'without another login');
});
