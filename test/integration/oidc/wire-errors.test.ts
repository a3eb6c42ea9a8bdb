import t, { type Test } from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { KNOWN_PASSWORD, KNOWN_SNILS } from '../../fixtures/personal-data.js';
import { TestBrowser, insertProfile, registerClient, startOidcBroker, type OidcTestBroker, type TestClient } from '../../helpers/oidc.js';

/**
 * Every refusal on the wire: status, `error`, `error_description`, and where it goes
 * (a page that never redirects, or the client's redirect_uri with state and iss). Never a 500.
 */
let broker: OidcTestBroker;
let diary: TestClient;
let profileId: string;

t.before(async () => {
  broker = await startOidcBroker({ env: { OIDC_TOKEN_RATE_LIMIT_PER_MINUTE: '30' } });
  diary = await registerClient(broker.deps);
  profileId = (await insertProfile(broker.deps)).id;
  broker.loginAs(() => ({ profile: { profileId, esiaOid: '2000001', level: 'standard', authTime: Math.floor(Date.now() / 1000) } }));
});
t.teardown(() => broker.close());

const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

function authorizeUrl(params: Record<string, string | string[] | undefined>): string {
  const url = new URL(`${broker.url}/authorize`);
  for (const [key, value] of Object.entries(params)) {
    for (const v of value === undefined ? [] : Array.isArray(value) ? value : [value]) url.searchParams.append(key, v);
  }
  return url.toString();
}

const baseParams = (c: TestClient, extra: Record<string, string | undefined> = {}) => ({
  client_id: c.clientId,
  redirect_uri: c.redirectUri,
  response_type: 'code',
  scope: 'openid profile',
  state: 'st-1',
  ...extra,
});

/** Runs /authorize in a fresh browser; returns the redirect back to the client. */
async function authorizeRedirect(params: Record<string, string | string[] | undefined>): Promise<URL> {
  const { url } = await new TestBrowser(broker.url).navigate(authorizeUrl(params));
  return new URL(url);
}

async function getCode(c: TestClient, extra: Record<string, string | undefined> = {}): Promise<string> {
  const back = await authorizeRedirect(baseParams(c, extra));
  const code = back.searchParams.get('code');
  if (!code) throw new Error(`no code: ${back}`);
  return code;
}

function basic(c: TestClient, secret = c.secret): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(c.clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

async function token(form: Record<string, string>, c: TestClient | null = diary, init: { secret?: string; headers?: Record<string, string> } = {}) {
  const response = await fetch(`${broker.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(c ? { authorization: basic(c, init.secret) } : {}), ...init.headers },
    body: new URLSearchParams(form),
  });
  return { response, body: (await response.json()) as Record<string, string> };
}

function expectRedirectError(t: Test, back: URL, c: TestClient, error: string, description: RegExp) {
  t.equal(`${back.origin}${back.pathname}`, c.redirectUri, 'back to the registered redirect_uri');
  t.equal(back.searchParams.get('error'), error);
  t.match(back.searchParams.get('error_description'), description);
  t.equal(back.searchParams.get('state'), 'st-1', 'state echoed');
  t.equal(back.searchParams.get('iss'), broker.url, 'iss (RFC 9207)');
}

function expectApiError(t: Test, res: { response: Response; body: Record<string, string> }, status: number, error: string, description: RegExp) {
  t.equal(res.response.status, status);
  t.equal(res.body['error'], error);
  t.match(res.body['error_description'], description);
  t.equal(res.response.headers.get('cache-control'), 'no-store');
}

t.test('/authorize: an untrusted client or redirect_uri gets a page, never a redirect', async (t) => {
  const cases: Array<[string, Record<string, string | string[] | undefined>, RegExp]> = [
    ['unknown client', baseParams(diary, { client_id: 'no-such-client' }), /не зарегистрирован в сервисе входа/],
    ['unregistered redirect_uri', baseParams(diary, { redirect_uri: 'https://evil.example/cb' }), /Адрес возврата/],
    ['redirect_uri differing by a trailing slash', baseParams(diary, { redirect_uri: `${diary.redirectUri}/` }), /Адрес возврата/],
    ['missing client_id', baseParams(diary, { client_id: undefined }), /составлена неверно/],
    ['repeated redirect_uri', { ...baseParams(diary), redirect_uri: [diary.redirectUri, diary.redirectUri] }, /составлена неверно/],
    ['oversized client_id', baseParams(diary, { client_id: 'x'.repeat(5000) }), /составлена неверно/],
  ];
  for (const [name, params, text] of cases) {
    const res = await fetch(authorizeUrl(params), { redirect: 'manual' });
    t.equal(res.status, 400, `${name}: 400`);
    t.equal(res.headers.get('location'), null, `${name}: no redirect`);
    t.match(res.headers.get('content-type'), /text\/html/);
    const page = await res.text();
    t.match(page, text, `${name}: says why, in Russian`);
    t.match(page, /invalid_request/, `${name}: error code shown`);
  }
});

t.test('/authorize: every other error redirects with error, description, state and iss', async (t) => {
  const publicClient = await registerClient(broker.deps, { authMethod: 'none' });
  const cases: Array<[string, TestClient, Record<string, string | undefined>, string, RegExp]> = [
    ['missing response_type', diary, { response_type: undefined }, 'invalid_request', /response_type is required/],
    ['unsupported response_type', diary, { response_type: 'token' }, 'unsupported_response_type', /only response_type=code/],
    ['no openid scope', diary, { scope: 'profile' }, 'invalid_scope', /openid/],
    ['public client without PKCE', publicClient, {}, 'invalid_request', /PKCE is required/],
    ['plain PKCE', publicClient, { code_challenge: pkce().verifier, code_challenge_method: 'plain' }, 'invalid_request', /S256/],
    ['PKCE without method (plain)', publicClient, { code_challenge: pkce().challenge }, 'invalid_request', /S256/],
    ['unregistered resource', diary, { resource: 'https://other.example' }, 'invalid_target', /resource/],
    ['region the client does not serve', diary, { region: '77' }, 'invalid_request', /region/],
    ['malformed region', diary, { region: 'moscow' }, 'invalid_request', /two-digit/],
    ['prompt=none with login', diary, { prompt: 'none login' }, 'invalid_request', /prompt=none/],
    ['oversized nonce', diary, { nonce: 'n'.repeat(5000) }, 'invalid_request', /nonce/],
    ['bad max_age', diary, { max_age: '-1' }, 'invalid_request', /max_age/],
  ];
  for (const [name, c, extra, error, description] of cases) {
    const back = await authorizeRedirect(baseParams(c, extra));
    t.test(name, async (t) => expectRedirectError(t, back, c, error, description));
  }
  const ignored = await authorizeRedirect(baseParams(diary, { foo: 'bar', login_hint: 'x', snils: KNOWN_SNILS }));
  t.ok(ignored.searchParams.get('code'), 'unknown parameters are ignored');

  const post = await new TestBrowser(broker.url).navigate(`${broker.url}/authorize`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(baseParams(diary)),
  });
  t.ok(new URL(post.url).searchParams.get('code'), 'POST /authorize works too');
});

t.test('/token: authorization_code refusals', async (t) => {
  const { verifier, challenge } = pkce();
  const code = await getCode(diary, { code_challenge: challenge, code_challenge_method: 'S256' });
  expectApiError(t, await token({ grant_type: 'authorization_code', code, redirect_uri: diary.redirectUri, code_verifier: pkce().verifier }), 400, 'invalid_grant', /code_verifier does not match/);
  expectApiError(t, await token({ grant_type: 'authorization_code', code, redirect_uri: diary.redirectUri, code_verifier: verifier }), 400, 'invalid_grant', /invalid or has expired/);

  const noVerifier = await getCode(diary, { code_challenge: challenge, code_challenge_method: 'S256' });
  expectApiError(t, await token({ grant_type: 'authorization_code', code: noVerifier, redirect_uri: diary.redirectUri }), 400, 'invalid_grant', /code_verifier is required/);

  const other = await registerClient(broker.deps);
  const stolen = await getCode(diary);
  expectApiError(t, await token({ grant_type: 'authorization_code', code: stolen, redirect_uri: diary.redirectUri }, other), 400, 'invalid_grant', /another client/);

  const wrongRedirect = await getCode(diary);
  expectApiError(t, await token({ grant_type: 'authorization_code', code: wrongRedirect, redirect_uri: 'https://evil.example/cb' }), 400, 'invalid_grant', /redirect_uri does not match/);

  const expiring = await getCode(diary);
  broker.advanceClock(61_000);
  try {
    expectApiError(t, await token({ grant_type: 'authorization_code', code: expiring, redirect_uri: diary.redirectUri }), 400, 'invalid_grant', /expired/);
  } finally {
    broker.advanceClock(-61_000);
  }

  expectApiError(t, await token({ grant_type: 'authorization_code', code: 'made-up', redirect_uri: diary.redirectUri }), 400, 'invalid_grant', /invalid or has expired/);
  expectApiError(t, await token({ grant_type: 'authorization_code', redirect_uri: diary.redirectUri }), 400, 'invalid_request', /code is required/);
  expectApiError(t, await token({ grant_type: 'password', username: 'x', password: KNOWN_PASSWORD }), 400, 'unsupported_grant_type', /authorization_code or refresh_token/);
  expectApiError(t, await token({ code: 'x' }), 400, 'invalid_request', /grant_type is required/);
});

t.test('/token: a replayed code fails and revokes everything issued from it', async (t) => {
  const code = await getCode(diary);
  const first = await token({ grant_type: 'authorization_code', code, redirect_uri: diary.redirectUri });
  t.equal(first.response.status, 200);
  t.equal(first.response.headers.get('cache-control'), 'no-store', 'token responses are never cached');
  t.equal(first.response.headers.get('pragma'), 'no-cache');
  t.equal(first.body['token_type'], 'Bearer');
  t.ok(first.body['refresh_token']);

  expectApiError(t, await token({ grant_type: 'authorization_code', code, redirect_uri: diary.redirectUri }), 400, 'invalid_grant', /already been used.*revoked/);
  expectApiError(t, await token({ grant_type: 'refresh_token', refresh_token: first.body['refresh_token']! }), 400, 'invalid_grant', /invalid or revoked/);
  const info = await fetch(`${broker.url}/userinfo`, { headers: { authorization: `Bearer ${first.body['access_token']}` } });
  t.equal(info.status, 401, 'the access token issued from the replayed code is revoked');
  t.match(info.headers.get('www-authenticate'), /^Bearer .*error="invalid_token"/);
  const audited = await broker.deps.database.db.selectFrom('audit_events').select(['outcome', 'client_id']).where('action', '=', 'tokens.revoke').execute();
  t.ok(audited.some((a) => a.outcome === 'code_replay' && a.client_id === diary.clientId), 'the replay is in the audit trail');
});

t.test('/token: another client can neither burn a code nor, replaying it, revoke what it issued', async (t) => {
  const confidential = await registerClient(broker.deps);
  const publicClient = await registerClient(broker.deps, { authMethod: 'none' });
  // A public client authenticates with nothing but a client_id: anyone can be it.
  const asPublic = (form: Record<string, string>) => token({ ...form, client_id: publicClient.clientId }, null);
  const revocations = () => broker.deps.database.db.selectFrom('audit_events').select('id').where('action', '=', 'tokens.revoke').execute();
  const revokedBefore = (await revocations()).length;
  const { verifier, challenge } = pkce();
  const code = await getCode(diary, { code_challenge: challenge, code_challenge_method: 'S256' });
  const form = { grant_type: 'authorization_code', code, redirect_uri: diary.redirectUri };

  expectApiError(t, await token({ ...form, code_verifier: verifier }, confidential), 400, 'invalid_grant', /another client/);
  expectApiError(t, await asPublic({ ...form, code_verifier: pkce().verifier }), 400, 'invalid_grant', /another client/);
  expectApiError(t, await asPublic({ ...form, code_verifier: verifier }), 400, 'invalid_grant', /another client/);
  expectApiError(t, await token({ ...form, redirect_uri: 'https://evil.example/cb', code_verifier: verifier }), 400, 'invalid_grant', /redirect_uri does not match/);
  const issued = await token({ ...form, code_verifier: verifier });
  t.equal(issued.response.status, 200, 'the unused code is still redeemable by its own client');

  const replayed = [await token({ ...form, code_verifier: verifier }, confidential), await asPublic({ ...form, code_verifier: verifier })];
  for (const replay of replayed) expectApiError(t, replay, 400, 'invalid_grant', /^the authorization code is invalid or has expired$/);
  const info = await fetch(`${broker.url}/userinfo`, { headers: { authorization: `Bearer ${issued.body['access_token']}` } });
  t.equal(info.status, 200, "the right client's access token is alive after other clients replayed its code");
  const refreshed = await token({ grant_type: 'refresh_token', refresh_token: issued.body['refresh_token']! });
  t.equal(refreshed.response.status, 200, 'and so is its refresh token');

  t.equal((await revocations()).length, revokedBefore, 'nothing revoked, nothing audited as a replay');
});

t.test('/token: refresh rotation, the grace window, and reuse revoking the family', async (t) => {
  const code = await getCode(diary);
  const issued = (await token({ grant_type: 'authorization_code', code, redirect_uri: diary.redirectUri })).body;
  const old = issued['refresh_token']!;

  const [a, b] = await Promise.all([token({ grant_type: 'refresh_token', refresh_token: old }), token({ grant_type: 'refresh_token', refresh_token: old })]);
  t.equal(a.response.status, 200, 'parallel refresh 1');
  t.equal(b.response.status, 200, 'parallel refresh 2 within the grace window');
  t.equal(a.body['refresh_token'], b.body['refresh_token'], 'both get the same successor');
  t.not(a.body['refresh_token'], old, 'rotated');
  const successor = a.body['refresh_token']!;

  expectApiError(t, await token({ grant_type: 'refresh_token', refresh_token: successor, scope: 'openid email' }), 400, 'invalid_scope', /originally granted/);
  const narrowed = await token({ grant_type: 'refresh_token', refresh_token: successor, scope: 'openid' });
  t.equal(narrowed.body['scope'], 'openid', 'scope may narrow');
  const newest = narrowed.body['refresh_token']!;

  broker.advanceClock(10_000);
  try {
    expectApiError(t, await token({ grant_type: 'refresh_token', refresh_token: old }), 400, 'invalid_grant', /already used.*revoked/);
  } finally {
    broker.advanceClock(-10_000);
  }
  expectApiError(t, await token({ grant_type: 'refresh_token', refresh_token: newest }), 400, 'invalid_grant', /invalid or revoked/, );
  const rows = await broker.deps.database.db.selectFrom('refresh_tokens').select(['token_hash']).execute();
  t.notOk(rows.some((row) => [old, successor, newest].includes(row.token_hash)), 'refresh tokens are stored hashed only');

  const other = await registerClient(broker.deps);
  const code2 = await getCode(diary);
  const fresh = (await token({ grant_type: 'authorization_code', code: code2, redirect_uri: diary.redirectUri })).body;
  expectApiError(t, await token({ grant_type: 'refresh_token', refresh_token: fresh['refresh_token']! }, other), 400, 'invalid_grant', /invalid or revoked/);
  t.equal((await token({ grant_type: 'refresh_token', refresh_token: fresh['refresh_token']! })).response.status, 200, 'another client presenting it does not kill the family');
});

t.test('/token: client authentication failures', async (t) => {
  const code = await getCode(diary);
  const bad = await token({ grant_type: 'authorization_code', code, redirect_uri: diary.redirectUri }, diary, { secret: `${diary.secret}x` });
  expectApiError(t, bad, 401, 'invalid_client', /client authentication failed/);
  t.match(bad.response.headers.get('www-authenticate'), /^Basic /, 'WWW-Authenticate on 401');

  const unknown = await token({ grant_type: 'authorization_code', code, redirect_uri: diary.redirectUri }, { ...diary, clientId: 'nobody' });
  expectApiError(t, unknown, 401, 'invalid_client', /client authentication failed/);
  expectApiError(t, await token({ grant_type: 'authorization_code', code, client_id: diary.clientId }, null), 401, 'invalid_client', /client authentication failed/);
  expectApiError(t, await token({ grant_type: 'authorization_code', code, client_id: diary.clientId, client_secret: diary.secret }), 400, 'invalid_request', /exactly one client authentication method/);
  expectApiError(t, await token({ grant_type: 'authorization_code' }, null), 401, 'invalid_client', /required/);
  expectApiError(t, await token({ grant_type: 'authorization_code' }, null, { headers: { authorization: 'Basic !!!' } }), 401, 'invalid_client', /malformed/);
});

t.test('malformed and oversized bodies: 400, never 500', async (t) => {
  const post = (body: string | Buffer, type = 'application/x-www-form-urlencoded') =>
    fetch(`${broker.url}/token`, { method: 'POST', headers: { 'content-type': type, authorization: basic(diary) }, body });
  const cases: Array<[string, Promise<Response>, RegExp]> = [
    ['JSON body', post(JSON.stringify({ grant_type: 'authorization_code' }), 'application/json'), /x-www-form-urlencoded/],
    ['broken JSON', post('{"grant_type":', 'application/json'), /malformed/],
    ['repeated parameter', post('grant_type=authorization_code&grant_type=refresh_token'), /grant_type: must be given once/],
    ['oversized code', post(`grant_type=authorization_code&redirect_uri=x&code=${'c'.repeat(5000)}`), /code: must be at most/],
    ['body over the limit', post(`grant_type=authorization_code&code=${'c'.repeat(100_000)}`), /too large/],
    ['binary garbage', post(randomBytes(2000)), /./],
    ['text/plain', post('grant_type=authorization_code', 'text/plain'), /./],
  ];
  for (const [name, pending, description] of cases) {
    const res = await pending;
    const body = (await res.json()) as Record<string, string>;
    t.equal(res.status, 400, `${name}: 400`);
    t.equal(body['error'], 'invalid_request', `${name}: invalid_request`);
    t.match(body['error_description'], description, name);
  }
  const userinfo = await fetch(`${broker.url}/userinfo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{bad' });
  t.equal(userinfo.status, 400);
  const logout = await fetch(`${broker.url}/logout?id_token_hint=${'x'.repeat(9000)}`);
  t.equal(logout.status, 400, 'oversized id_token_hint');
});

t.test('a NUL byte or control character in a parameter: 400 naming it, never 500', async (t) => {
  const form = (path: string, body: string, authorization?: string) =>
    fetch(`${broker.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}) }, body });
  const api: Array<[string, Promise<Response>, number, string, RegExp]> = [
    ['/token client_id', form('/token', 'grant_type=authorization_code&code=x&client_id=a%00b&client_secret=s'), 400, 'invalid_request', /^client_id: must not contain control characters/],
    ['/token refresh_token', form('/token', 'grant_type=refresh_token&refresh_token=x%01y', basic(diary)), 400, 'invalid_request', /^refresh_token: must not contain control characters/],
    ['/introspect client_id', form('/introspect', 'token=x&client_id=a%00b&client_secret=s'), 400, 'invalid_request', /^client_id: must not contain control characters/],
    ['/revoke client_id', form('/revoke', 'token=x&client_id=a%00b&client_secret=s'), 400, 'invalid_request', /^client_id: must not contain control characters/],
    ['/token Basic with NUL', form('/token', 'grant_type=authorization_code&code=x', `Basic ${Buffer.from('a\u0000b:secret').toString('base64')}`), 401, 'invalid_client', /malformed Basic/],
    ['/introspect Basic with NUL', form('/introspect', 'token=x', `Basic ${Buffer.from('a%00b:secret').toString('base64')}`), 401, 'invalid_client', /malformed Basic/],
  ];
  for (const [name, pending, status, error, description] of api) {
    const res = await pending;
    const body = (await res.json()) as Record<string, string>;
    t.equal(res.status, status, `${name}: ${status}`);
    t.equal(body['error'], error, name);
    t.match(body['error_description'], description, name);
  }
  const pages: Array<[string, string]> = [
    ['/authorize client_id', authorizeUrl(baseParams(diary, { client_id: 'a\u0000b' }))],
    ['/authorize redirect_uri', authorizeUrl(baseParams(diary, { redirect_uri: `${diary.redirectUri}\u0000` }))],
    ['/logout client_id', `${broker.url}/logout?client_id=a%00b`],
    ['/logout post_logout_redirect_uri', `${broker.url}/logout?client_id=${diary.clientId}&post_logout_redirect_uri=https://x.example/%00`],
  ];
  for (const [name, url] of pages) {
    const res = await fetch(url, { redirect: 'manual' });
    t.equal(res.status, 400, `${name}: 400`);
    t.match(res.headers.get('content-type'), /text\/html/, `${name}: a page`);
    t.match(await res.text(), /invalid_request/, name);
  }
  const postLogout = await fetch(`${broker.url}/logout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'client_id=a%00b' });
  t.equal(postLogout.status, 400, 'POST /logout client_id');
});

t.test('/token is rate limited per client, on refused requests only', async (t) => {
  const noisy = await registerClient(broker.deps);
  const statuses: number[] = [];
  for (let i = 0; i < 32; i += 1) statuses.push((await token({ grant_type: 'refresh_token', refresh_token: 'nope' }, noisy)).response.status);
  t.equal(statuses.filter((s) => s === 400).length, 30, 'the allowance');
  const limited = await token({ grant_type: 'refresh_token', refresh_token: 'nope' }, noisy);
  expectApiError(t, limited, 429, 'slow_down', /too many refused requests/);
  t.equal(limited.response.headers.get('retry-after'), '60');
  t.equal((await token({ grant_type: 'refresh_token', refresh_token: 'nope' })).response.status, 400, 'other clients are not affected');

  // A busy diary backend introspects on every API call: answered requests never count.
  const busy = await registerClient(broker.deps);
  const answered: number[] = [];
  for (let i = 0; i < 40; i += 1) {
    const response = await fetch(`${broker.url}/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${busy.clientId}:${busy.secret}`).toString('base64')}` },
      body: new URLSearchParams({ token: `unknown-${i}` }),
    });
    answered.push(response.status);
  }
  t.ok(answered.every((s) => s === 200), '40 answered introspections, limit 30, none refused');

  // Over the limit nothing is checked at /introspect: even the right secret is refused.
  const guessed = await registerClient(broker.deps);
  const introspectAs = (secret: string) =>
    fetch(`${broker.url}/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${guessed.clientId}:${secret}`).toString('base64')}` },
      body: new URLSearchParams({ token: 'unknown' }),
    }).then((response) => response.status);
  const guesses: number[] = [];
  for (let i = 0; i < 30; i += 1) guesses.push(await introspectAs(`wrong-secret-${i}`));
  t.ok(guesses.every((s) => s === 401), '30 wrong secrets: 401 each');
  t.equal(await introspectAs('wrong-secret-31'), 429, 'then slow_down');
  t.equal(await introspectAs(guessed.secret), 429, 'the right secret too, once over the limit: a guess that hits learns nothing');
});

t.test('/token, /introspect and /revoke: 100 parallel wrong secrets, at most the limit (30) are checked', async (t) => {
  // Reserve first, check after: a read-then-count limiter lets every parallel request read "0
  // refused" and go on to check its secret. Checked = 401 invalid_client; refused uncounted = 429.
  const windowOf = () => Math.floor(Date.now() / 60_000);
  for (const path of ['/token', '/introspect', '/revoke']) {
    let statuses: number[] = [];
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const target = await registerClient(broker.deps);
      const window = windowOf();
      const form: Record<string, string> = path === '/token' ? { grant_type: 'refresh_token', refresh_token: 'nope' } : { token: 'nope' };
      statuses = await Promise.all(
        Array.from({ length: 100 }, async () => {
          const response = await fetch(`${broker.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(target, 'wrong-secret') }, body: new URLSearchParams(form) });
          await response.body?.cancel();
          return response.status;
        }),
      );
      if (windowOf() === window) break; // a burst across a minute boundary meets two windows: once more
    }
    t.equal(statuses.filter((s) => s === 401).length, 30, `${path}: exactly the limit checked`);
    t.equal(statuses.filter((s) => s === 429).length, 70, `${path}: the rest refused before any check`);
  }
});

t.test('/userinfo, /introspect and /revoke refusals', async (t) => {
  const none = await fetch(`${broker.url}/userinfo`);
  t.equal(none.status, 401);
  t.equal(((await none.json()) as { error: string }).error, 'invalid_token');
  t.match(none.headers.get('www-authenticate'), /^Bearer realm="esia-broker"/);
  const garbage = await fetch(`${broker.url}/userinfo`, { headers: { authorization: 'Bearer a.b.c' } });
  t.equal(garbage.status, 401);

  const code = await getCode(diary);
  const issued = (await token({ grant_type: 'authorization_code', code, redirect_uri: diary.redirectUri })).body;
  const introspect = (c: TestClient | undefined, tokenValue: string) =>
    fetch(`${broker.url}/introspect`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...(c ? { authorization: basic(c) } : {}) }, body: new URLSearchParams({ token: tokenValue }) });
  t.equal((await introspect(undefined, issued['access_token']!)).status, 401, 'introspection needs client authentication');
  const other = await registerClient(broker.deps);
  t.same(await (await introspect(other, issued['access_token']!)).json(), { active: false }, 'another client learns nothing');
  const mine = (await (await introspect(diary, issued['refresh_token']!)).json()) as Record<string, unknown>;
  t.equal(mine['active'], true);
  t.equal(mine['token_type'], 'refresh_token');
  const missing = await fetch(`${broker.url}/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(diary) }, body: '' });
  t.equal(missing.status, 400);
  t.equal(((await missing.json()) as { error: string }).error, 'invalid_request');
  const unknownToken = await fetch(`${broker.url}/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(diary) }, body: 'token=unknown' });
  t.equal(unknownToken.status, 200, 'revoking an unknown token is not an error (RFC 7009 §2.2)');
});

t.test('/introspect: the same token answered again byte for byte the same, refused once revoked; Basic credentials form-decoded', async (t) => {
  // A client id that must be form-encoded in the Basic header (RFC 6749 §2.3.1): ':' and a space sent as '+'.
  const spaced = await registerClient(broker.deps, { clientId: `client:${randomBytes(3).toString('hex')} x` });
  const spacedBasic = `Basic ${Buffer.from(`${encodeURIComponent(spaced.clientId).replace(/%20/g, '+')}:${encodeURIComponent(spaced.secret)}`).toString('base64')}`;
  const code = await getCode(diary);
  const issued = (await token({ grant_type: 'authorization_code', code, redirect_uri: diary.redirectUri })).body;
  const access = issued['access_token']!;
  const introspect = (authorization: string) =>
    fetch(`${broker.url}/introspect`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization }, body: new URLSearchParams({ token: access }) });
  const answers = [];
  for (let i = 0; i < 3; i += 1) {
    const response = await introspect(basic(diary));
    answers.push({ status: response.status, type: response.headers.get('content-type'), cache: response.headers.get('cache-control'), text: await response.text() });
  }
  t.same(answers[1], answers[0], 'the second answer is the first');
  t.same(answers[2], answers[0], 'and so is the third');
  t.equal(answers[0]!.status, 200);
  t.equal(answers[0]!.type, 'application/json; charset=utf-8');
  t.equal(answers[0]!.cache, 'no-store');
  const body = JSON.parse(answers[0]!.text) as Record<string, unknown>;
  t.match(body, { active: true, token_type: 'Bearer', client_id: diary.clientId, sub: profileId, iss: broker.url });
  t.notOk('jti' in body, 'the jti stays ours');
  const userinfo = await fetch(`${broker.url}/userinfo`, { headers: { authorization: `Bearer ${access}` } });
  t.equal(userinfo.status, 200, 'userinfo takes the token the introspections remembered');
  t.same(await (await introspect(spacedBasic)).json(), { active: false }, 'a client named with form-encoded characters authenticates, and learns nothing of a foreign token');
  t.equal((await introspect(`Basic ${Buffer.from(`${encodeURIComponent(spaced.clientId)}:wrong`).toString('base64')}`)).status, 401, 'its wrong secret is refused');
  const revoked = await fetch(`${broker.url}/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(diary) }, body: new URLSearchParams({ token: access }) });
  t.equal(revoked.status, 200);
  t.same(await (await introspect(basic(diary))).json(), { active: false }, 'revoked: inactive, whatever was answered before');
});

t.test('/introspect refuses a public client (401 invalid_client), /revoke takes one: as discovery says', async (t) => {
  const publicClient = await registerClient(broker.deps, { authMethod: 'none' });
  const { verifier, challenge } = pkce();
  const code = await getCode(publicClient, { code_challenge: challenge, code_challenge_method: 'S256' });
  const issued = await token({ grant_type: 'authorization_code', code, redirect_uri: publicClient.redirectUri, code_verifier: verifier, client_id: publicClient.clientId }, null);
  t.equal(issued.response.status, 200, 'a public client gets tokens with PKCE');
  const post = (path: string, form: Record<string, string>) =>
    fetch(`${broker.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });

  const metadata = (await (await fetch(`${broker.url}/.well-known/openid-configuration`)).json()) as Record<string, string[]>;
  t.notOk(metadata['introspection_endpoint_auth_methods_supported']!.includes('none'), 'discovery: no public clients at /introspect');
  t.ok(metadata['revocation_endpoint_auth_methods_supported']!.includes('none'), 'discovery: public clients at /revoke');

  for (const tokenValue of [issued.body['access_token']!, issued.body['refresh_token']!]) {
    const res = await post('/introspect', { token: tokenValue, client_id: publicClient.clientId });
    t.equal(res.status, 401, 'a public client may not introspect, not even its own token');
    const body = (await res.json()) as Record<string, string>;
    t.equal(body['error'], 'invalid_client');
    t.match(body['error_description'], /public clients may not/);
    t.notOk('active' in body, 'and learns nothing about the token');
  }
  const revoked = await post('/revoke', { token: issued.body['refresh_token']!, client_id: publicClient.clientId });
  t.equal(revoked.status, 200, 'a public client revokes its own refresh token with its client_id (RFC 7009 §2.1)');
  const refreshed = await token({ grant_type: 'refresh_token', refresh_token: issued.body['refresh_token']!, client_id: publicClient.clientId }, null);
  expectApiError(t, refreshed, 400, 'invalid_grant', /invalid or revoked/);
});

t.test('interaction cookie binding and the unconfigured login page', async (t) => {
  const browser = new TestBrowser(broker.url);
  const first = await browser.request(authorizeUrl(baseParams(diary)));
  t.equal(first.status, 302);
  t.match(first.headers.getSetCookie().join('\n'), /eb_interaction=.*HttpOnly.*SameSite=Lax/i);
  const loginUrl = first.headers.get('location')!;
  const stranger = await fetch(loginUrl, { redirect: 'manual' });
  t.equal(stranger.status, 400, 'another browser (no interaction cookie) cannot finish the login');
  t.match(await stranger.text(), /Время входа истекло/);
  const done = await browser.navigate(loginUrl);
  t.ok(new URL(done.url).searchParams.get('code'), 'the browser that started it can');
  const again = await browser.request(loginUrl);
  t.equal(again.status, 200, 'an interaction finishes once: no second code, no redirect');
  t.equal(again.headers.get('location'), null);
  t.match(await again.text(), /<h1>Вы уже вошли<\/h1>[\s\S]*Перейти в электронный дневник/, 'Back after the login: the logged-in browser gets the way to its diary');
});
