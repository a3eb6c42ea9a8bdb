import t, { type Test } from 'tap';
import * as client from 'openid-client';
import { SignJWT, createRemoteJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { signJwt } from '../../../src/crypto/jwt.js';
import { KNOWN_EMAIL } from '../../fixtures/personal-data.js';
import { TestBrowser, insertProfile, registerClient, startOidcBroker, type OidcTestBroker } from '../../helpers/oidc.js';

/**
 * The diary side as it would be built: openid-client v6 as the frontend (discovery, PKCE,
 * nonce, state, iss all checked by the library), jose as the backend validating access tokens
 * against our JWKS. The browser is a cookie jar following redirects by hand.
 */
const API = 'https://api.diary.example';

let broker: OidcTestBroker;
t.before(async () => {
  broker = await startOidcBroker();
});
t.teardown(() => broker.close());

async function rejectsWith(t: Test, promise: Promise<unknown>, error: string, message: string) {
  const failure = await promise.then(
    () => undefined,
    (e: unknown) => e as { error?: string },
  );
  t.equal(failure?.error, error, message);
}

async function discover(clientId: string, secret: string) {
  return client.discovery(new URL(broker.url), clientId, undefined, client.ClientSecretBasic(secret), { execute: [client.allowInsecureRequests] });
}

async function login(config: client.Configuration, browser: TestBrowser, redirectUri: string, extra: Record<string, string> = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const nonce = client.randomNonce();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile email diary offline_access',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    nonce,
    state,
    ...extra,
  });
  const { url: callback } = await browser.navigate(url.toString());
  const tokens = await client.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier, expectedNonce: nonce, expectedState: state, idTokenExpected: true });
  return { tokens, callback };
}

t.test('a diary frontend logs in, reads userinfo, refreshes and revokes; its backend validates tokens', async (t) => {
  const profile = await insertProfile(broker.deps, { email: KNOWN_EMAIL, roles: ['student'], schoolIds: ['school-7'] });
  const diary = await registerClient(broker.deps);
  const authTime = Math.floor(Date.now() / 1000) - 5;
  broker.loginAs(() => ({ profile: { profileId: profile.id, esiaOid: '1000001', level: 'standard', authTime } }));

  const config = await discover(diary.clientId, diary.secret);
  client.enableNonRepudiationChecks(config);
  const browser = new TestBrowser(broker.url);
  const { tokens, callback } = await login(config, browser, diary.redirectUri, { resource: API });
  t.match(new URL(callback).searchParams.get('iss'), broker.url, 'iss in the authorization response (RFC 9207)');
  t.ok(browser.cookies.has('eb_session'), 'the broker session cookie is set');
  t.notOk(browser.cookies.has('eb_interaction'), 'the interaction cookie is cleared');

  const claims = tokens.claims()!;
  t.equal(claims.sub, profile.id, 'sub is the diary profile id');
  t.equal(claims['acr'], 'urn:esia:standard');
  t.same(claims['amr'], ['esia']);
  t.equal(claims['auth_time'], authTime);
  t.ok(claims['sid'], 'sid of the broker session');
  t.notOk(JSON.stringify(claims).includes('snils'), 'no SNILS claim');
  t.equal(decodeProtectedHeader(tokens.id_token!).alg, 'ES256');

  // The diary backend: validates the access token with our JWKS, as any JOSE library would.
  const backendJwks = createRemoteJWKSet(new URL(`${broker.url}/jwks`));
  const { payload, protectedHeader } = await jwtVerify(tokens.access_token, backendJwks, { issuer: broker.url, audience: API, typ: 'at+jwt' });
  t.equal(protectedHeader.typ, 'at+jwt', 'RFC 9068 access token');
  t.equal(payload.sub, profile.id);
  t.equal(payload['client_id'], diary.clientId);
  t.same(payload['roles'], ['student'], 'diary claims for the backend');
  t.same(payload['school_ids'], ['school-7']);
  t.equal(payload['region'], '38');

  // A token from another issuer that the backend's JWKS would otherwise accept: the same claims,
  // signed by a key our JWKS publishes (as a second deployment sharing the key table would).
  const otherIssuer = 'https://another-broker.example';
  const foreign = await signJwt({ ...payload, iss: otherIssuer }, await broker.deps.oidc.ctx.keys.signingKey('ES256'), 'at+jwt');
  t.equal((await jwtVerify(foreign, backendJwks, { issuer: otherIssuer, audience: API, typ: 'at+jwt' })).payload.sub, profile.id, 'its signature verifies with our JWKS');
  await t.rejects(
    jwtVerify(foreign, backendJwks, { issuer: broker.url, audience: API, typ: 'at+jwt' }),
    { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'iss', reason: 'check_failed' },
    'yet the backend refuses it: the issuer is not ours',
  );

  const forClient = await client.refreshTokenGrant(config, tokens.refresh_token!);
  t.not(forClient.refresh_token, tokens.refresh_token, 'refresh tokens rotate');
  const info = await client.fetchUserInfo(config, forClient.access_token, profile.id);
  t.equal(info.family_name, 'Иванова');
  t.equal(info.given_name, 'Мария');
  t.equal(info.middle_name, 'Петровна');
  t.equal(info.name, 'Иванова Мария Петровна');
  t.equal(info.birthdate, '2009-03-14');
  t.equal(info.email, KNOWN_EMAIL);
  t.equal(info.email_verified, true);
  t.same(info['roles'], ['student']);

  const introspected = await client.tokenIntrospection(config, forClient.access_token);
  t.equal(introspected.active, true);
  t.equal(introspected.sub, profile.id);

  await client.tokenRevocation(config, forClient.refresh_token!);
  await rejectsWith(t, client.refreshTokenGrant(config, forClient.refresh_token!), 'invalid_grant', 'a revoked refresh token is refused');
  t.equal((await client.tokenIntrospection(config, forClient.access_token)).active, false, 'revoking the refresh token revoked its access tokens');
  await t.rejects(client.fetchUserInfo(config, forClient.access_token, profile.id), 'userinfo refuses the revoked access token');
});

t.test('a second diary in the same browser logs in without going back to ESIA; prompt and max_age', async (t) => {
  const profile = await insertProfile(broker.deps);
  const first = await registerClient(broker.deps);
  const second = await registerClient(broker.deps, { idTokenAlg: 'RS256' });
  broker.loginAs(() => ({ profile: { profileId: profile.id, esiaOid: '1000002', level: 'confirmed', authTime: Math.floor(Date.now() / 1000) - 100 } }));
  const browser = new TestBrowser(broker.url);

  await login(await discover(first.clientId, first.secret), browser, first.redirectUri);
  const startsBefore = broker.started.length;
  const secondConfig = await discover(second.clientId, second.secret);
  const { tokens } = await login(secondConfig, browser, second.redirectUri);
  t.equal(broker.started.length, startsBefore, 'no trip to the login leg (ESIA) for the second diary');
  t.equal(tokens.claims()!.sub, profile.id);
  t.equal(tokens.claims()!['acr'], 'urn:esia:confirmed');
  t.equal(decodeProtectedHeader(tokens.id_token!).alg, 'RS256', 'RS256 id_token for the client that asked for it');

  const none = await login(secondConfig, browser, second.redirectUri, { prompt: 'none' });
  t.equal(none.tokens.claims()!.sub, profile.id, 'prompt=none succeeds with a session and one profile');

  await login(secondConfig, browser, second.redirectUri, { prompt: 'login' });
  t.equal(broker.started.length, startsBefore + 1, 'prompt=login goes back to ESIA');
  t.equal(broker.started.at(-1)?.forceLogin, true);
  t.equal(broker.started.at(-1)?.sso, undefined, 'no SSO offered when a fresh login is required');

  await login(secondConfig, browser, second.redirectUri, { max_age: '0' });
  t.equal(broker.started.length, startsBefore + 2, 'max_age=0 goes back to ESIA');

  const fresh = new TestBrowser(broker.url);
  const url = client.buildAuthorizationUrl(secondConfig, { redirect_uri: second.redirectUri, scope: 'openid', prompt: 'none', state: 's1', nonce: 'n1' });
  const { url: back } = await fresh.navigate(url.toString());
  const params = new URL(back).searchParams;
  t.equal(params.get('error'), 'login_required', 'prompt=none without a broker session');
  t.equal(params.get('state'), 's1');
  t.equal(params.get('iss'), broker.url);
});

t.test('prompt=none with several profiles, or none linked, never goes to ESIA', async (t) => {
  const a = await insertProfile(broker.deps);
  const b = await insertProfile(broker.deps, { roles: ['teacher'] });
  const diary = await registerClient(broker.deps);
  const config = await discover(diary.clientId, diary.secret);
  const browser = new TestBrowser(broker.url);
  const authTime = Math.floor(Date.now() / 1000);
  broker.loginAs(() => ({ profile: { profileId: a.id, esiaOid: '1000003', level: 'standard', authTime } }));
  await login(config, browser, diary.redirectUri);
  broker.loginAs(() => ({ profile: { profileId: b.id, esiaOid: '1000003', level: 'standard', authTime } }));
  await login(config, browser, diary.redirectUri, { prompt: 'select_account' });

  const starts = broker.started.length;
  const url = client.buildAuthorizationUrl(config, { redirect_uri: diary.redirectUri, scope: 'openid', prompt: 'none', state: 's2' });
  const { url: back } = await browser.navigate(url.toString());
  t.equal(new URL(back).searchParams.get('error'), 'account_selection_required');
  t.equal(broker.started.length, starts, 'prompt=none did not start a login');

  const withChooser = await browser.navigate(client.buildAuthorizationUrl(config, { redirect_uri: diary.redirectUri, scope: 'openid', state: 's3' }).toString());
  t.ok(withChooser.hops.some((hop) => hop.includes('/test/login/')), 'without prompt=none the login leg gets the interaction');
  t.same(new Set(broker.started.at(-1)?.sso?.profileIds), new Set([a.id, b.id]), 'with the session profiles to choose from');

  const otherRegion = await registerClient(broker.deps, { regions: ['37'] });
  const otherConfig = await discover(otherRegion.clientId, otherRegion.secret);
  const none = await browser.navigate(client.buildAuthorizationUrl(otherConfig, { redirect_uri: otherRegion.redirectUri, scope: 'openid', prompt: 'none' }).toString());
  t.equal(new URL(none.url).searchParams.get('error'), 'interaction_required', 'a session but no profile linked in that region');
});

t.test('private_key_jwt and public clients with PKCE', async (t) => {
  const profile = await insertProfile(broker.deps);
  broker.loginAs(() => ({ profile: { profileId: profile.id, esiaOid: '1000004', level: 'simplified', authTime: Math.floor(Date.now() / 1000) } }));
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  const signed = await registerClient(broker.deps, { authMethod: 'private_key_jwt', jwks: { keys: [jwk] } });
  const config = await client.discovery(new URL(broker.url), signed.clientId, undefined, client.PrivateKeyJwt({ key: privateKey, kid: 'k1' }), { execute: [client.allowInsecureRequests] });
  const { tokens } = await login(config, new TestBrowser(broker.url), signed.redirectUri);
  t.equal(tokens.claims()!['acr'], 'urn:esia:simplified');

  const publicClient = await registerClient(broker.deps, { authMethod: 'none' });
  const publicConfig = await client.discovery(new URL(broker.url), publicClient.clientId, undefined, client.None(), { execute: [client.allowInsecureRequests] });
  const result = await login(publicConfig, new TestBrowser(broker.url), publicClient.redirectUri);
  t.equal(result.tokens.claims()!.sub, profile.id, 'a public client with PKCE gets tokens');

  // A replayed client assertion is refused (RFC 7523 §3: jti once).
  const assertion = await new SignJWT({ jti: 'same-jti' })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setIssuer(signed.clientId)
    .setSubject(signed.clientId)
    .setAudience(broker.url)
    .setIssuedAt()
    .setExpirationTime('1m')
    .sign(privateKey);
  const form = { grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion };
  const firstUse = await fetch(`${broker.url}/token`, { method: 'POST', body: new URLSearchParams(form) });
  t.equal(firstUse.status, 200);
  const replay = await fetch(`${broker.url}/token`, { method: 'POST', body: new URLSearchParams(form) });
  t.equal(replay.status, 401);
  t.equal(((await replay.json()) as { error: string }).error, 'invalid_client');
});

t.test('failed login and logout', async (t) => {
  const profile = await insertProfile(broker.deps);
  const diary = await registerClient(broker.deps);
  const config = await discover(diary.clientId, diary.secret);
  const browser = new TestBrowser(broker.url);

  broker.loginAs(() => ({ failure: { error: 'access_denied', reason: 'consent_refused', description: 'the person refused consent at ESIA' } }));
  const refused = await browser.navigate(client.buildAuthorizationUrl(config, { redirect_uri: diary.redirectUri, scope: 'openid', state: 'st' }).toString());
  const params = new URL(refused.url).searchParams;
  t.equal(params.get('error'), 'access_denied');
  t.equal(params.get('error_description'), 'consent_refused: the person refused consent at ESIA', 'the reason code leads');
  t.equal(params.get('state'), 'st');
  t.equal(params.get('iss'), broker.url);

  broker.loginAs(() => ({ profile: { profileId: profile.id, esiaOid: '1000005', level: 'standard', authTime: Math.floor(Date.now() / 1000), esiaSessionId: 'esia-sid' } }));
  const { tokens } = await login(config, browser, diary.redirectUri, { scope: 'openid profile' });
  const refreshToken = tokens.refresh_token!;

  const noHint = await browser.request(`${broker.url}/logout`);
  t.equal(noHint.status, 200);
  t.match(await noHint.text(), /Выйти из сервиса входа\?/, 'without id_token_hint the person confirms first');
  t.ok(browser.cookies.has('eb_session'), 'nothing ended yet');

  const endSession = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: `https://${diary.clientId}.diary.example/`, state: 'bye' });
  const out = await browser.request(endSession.toString());
  t.equal(out.status, 200);
  const page = await out.text();
  t.match(page, /Выйти также из госуслуг/, 'ESIA logout offered');
  t.match(page, /esia\.example\/idp\/ext\/Logout/);
  t.match(page, new RegExp(`https://${diary.clientId}\\.diary\\.example/\\?state=bye`), 'and the way back with state');
  t.notOk(browser.cookies.has('eb_session'), 'the broker session cookie is cleared');
  await rejectsWith(t, client.refreshTokenGrant(config, refreshToken), 'invalid_grant', 'online refresh tokens of the session end with it');

  const startsBefore = broker.started.length;
  await browser.navigate(client.buildAuthorizationUrl(config, { redirect_uri: diary.redirectUri, scope: 'openid' }).toString());
  t.equal(broker.started.length, startsBefore + 1, 'after logout the next login goes to ESIA again');

  const bad = await browser.request(`${broker.url}/logout?client_id=${diary.clientId}&post_logout_redirect_uri=${encodeURIComponent('https://evil.example/')}`);
  t.equal(bad.status, 400, 'an unregistered post_logout_redirect_uri is refused');
  t.equal(bad.headers.get('location'), null);
});

t.test('logout: an id_token_hint of another session asks first and ends nothing (RP-Initiated Logout §2, §4)', async (t) => {
  const alice = await insertProfile(broker.deps);
  const mallory = await insertProfile(broker.deps, { lastName: 'Петров', firstName: 'Иван' });
  const diary = await registerClient(broker.deps);
  const attackers = await registerClient(broker.deps);
  const config = await discover(diary.clientId, diary.secret);
  const attackerConfig = await discover(attackers.clientId, attackers.secret);
  const now = Math.floor(Date.now() / 1000);

  const victim = new TestBrowser(broker.url);
  broker.loginAs(() => ({ profile: { profileId: alice.id, esiaOid: '1000010', level: 'standard', authTime: now } }));
  const own = await login(config, victim, diary.redirectUri, { scope: 'openid profile' });
  broker.loginAs(() => ({ profile: { profileId: mallory.id, esiaOid: '1000011', level: 'standard', authTime: now } }));
  const foreign = await login(attackerConfig, new TestBrowser(broker.url), attackers.redirectUri);
  const victimCookie = victim.cookies.get('eb_session');

  // The attacker's page embeds /logout with the attacker's own, perfectly valid id_token.
  const embedded = await victim.request(`${broker.url}/logout?id_token_hint=${foreign.tokens.id_token!}`);
  t.equal(embedded.status, 200);
  t.match(await embedded.text(), /Выйти из сервиса входа\?/, 'a hint of another session: the person confirms first');
  t.equal(victim.cookies.get('eb_session'), victimCookie, 'the session cookie is untouched');
  const withRedirect = await victim.request(client.buildEndSessionUrl(attackerConfig, { id_token_hint: foreign.tokens.id_token!, post_logout_redirect_uri: `https://${attackers.clientId}.diary.example/`, state: 'x' }).toString());
  t.equal(withRedirect.status, 200, 'no redirect either, even to a registered post_logout_redirect_uri');
  t.equal(withRedirect.headers.get('location'), null);
  const form = await withRedirect.text();
  t.match(form, new RegExp(`name="client_id" value="${attackers.clientId}"`), 'the form names the hint\'s client, so its post_logout_redirect_uri stays checkable');

  const startsBefore = broker.started.length;
  const silent = await login(config, victim, diary.redirectUri, { prompt: 'none' });
  t.equal(silent.tokens.claims()!.sub, alice.id, 'the session is alive: prompt=none still gets a code');
  t.equal(broker.started.length, startsBefore, 'without a trip to ESIA');
  t.equal((await client.tokenIntrospection(config, own.tokens.access_token)).active, true, 'the session\'s access token is still active');
  const refreshed = await client.refreshTokenGrant(config, own.tokens.refresh_token!);
  t.ok(refreshed.access_token, 'and its refresh family was not revoked');

  // The person confirms on our page (the POST carries the form's fields): now it ends.
  const fields = Object.fromEntries([...form.matchAll(/name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!.replaceAll('&amp;', '&')]));
  const confirmed = await victim.request(`${broker.url}/logout`, { method: 'POST', body: new URLSearchParams(fields) });
  t.equal(confirmed.status, 302, 'confirmed on our page: logged out');
  t.equal(confirmed.headers.get('location'), `https://${attackers.clientId}.diary.example/?state=x`, 'back to the post_logout_redirect_uri registered for the hint\'s client');
  t.notOk(victim.cookies.has('eb_session'));
  await rejectsWith(t, client.refreshTokenGrant(config, refreshed.refresh_token!), 'invalid_grant', 'the session\'s online refresh families end with it');
});

t.test('logout: a hint of this session, even an expired one, logs out without asking', async (t) => {
  const profile = await insertProfile(broker.deps);
  const diary = await registerClient(broker.deps);
  const config = await discover(diary.clientId, diary.secret);
  broker.loginAs(() => ({ profile: { profileId: profile.id, esiaOid: '1000012', level: 'standard', authTime: Math.floor(Date.now() / 1000) } }));
  const browser = new TestBrowser(broker.url);
  const { tokens } = await login(config, browser, diary.redirectUri, { scope: 'openid profile' });

  // The same id_token, long expired (§2: the OP still uses it to identify the session).
  const claims = tokens.claims()!;
  const key = await broker.deps.oidc.ctx.keys.signingKey('ES256');
  const expired = await signJwt({ ...claims, iat: claims.iat - 7200, exp: claims.iat - 3600 }, key, 'JWT');
  const out = await browser.request(client.buildEndSessionUrl(config, { id_token_hint: expired, post_logout_redirect_uri: `https://${diary.clientId}.diary.example/` }).toString());
  t.equal(out.status, 302, 'no confirmation page');
  t.equal(out.headers.get('location'), `https://${diary.clientId}.diary.example/`);
  t.notOk(browser.cookies.has('eb_session'), 'the session ended');
  await rejectsWith(t, client.refreshTokenGrant(config, tokens.refresh_token!), 'invalid_grant', 'with its online refresh families');

  const accessTokenAsHint = await browser.request(`${broker.url}/logout?id_token_hint=${tokens.access_token}`);
  t.equal(accessTokenAsHint.status, 400, 'an access token (at+jwt) is not an id_token_hint');
});

t.test('key rotation: old tokens still verify, new ones carry the new kid; a removed key fails', async (t) => {
  const profile = await insertProfile(broker.deps);
  const diary = await registerClient(broker.deps);
  broker.loginAs(() => ({ profile: { profileId: profile.id, esiaOid: '1000006', level: 'standard', authTime: Math.floor(Date.now() / 1000) } }));
  const config = await discover(diary.clientId, diary.secret);
  const before = await login(config, new TestBrowser(broker.url), diary.redirectUri);
  const oldKid = decodeProtectedHeader(before.tokens.access_token).kid!;

  const ring = broker.deps.oidc.ctx.keys;
  await ring.rotate({ activationDelaySeconds: 0 });
  const after = await login(config, new TestBrowser(broker.url), diary.redirectUri);
  const newKid = decodeProtectedHeader(after.tokens.access_token).kid!;
  t.not(newKid, oldKid, 'new tokens are signed with the new key');

  const backend = createRemoteJWKSet(new URL(`${broker.url}/jwks`));
  t.equal((await jwtVerify(before.tokens.access_token, backend, { issuer: broker.url })).payload.sub, profile.id, 'a token signed before rotation still verifies');
  t.equal((await jwtVerify(after.tokens.access_token, backend, { issuer: broker.url })).payload.sub, profile.id);

  await ring.remove(oldKid);
  const restartedBackend = createRemoteJWKSet(new URL(`${broker.url}/jwks`));
  await t.rejects(jwtVerify(before.tokens.access_token, restartedBackend, { issuer: broker.url }), { code: 'ERR_JWKS_NO_MATCHING_KEY' }, 'after key removal its tokens fail');
  t.equal((await jwtVerify(after.tokens.access_token, restartedBackend, { issuer: broker.url })).payload.sub, profile.id);
});
