import t from 'tap';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { encodeSignature, esiaTimestamp, v1SignedString, v2AuthorizeString, v3RefreshString, v3TokenString, type SecretEncoding } from '../../../src/esia/protocol.js';
import { ALL_TEST_SCOPES, Browser, passEsia, devClientSigner, startTestEmulator } from '../../helpers/emulator.js';

// The emulator on its own, as strict as ESIA (docs/emulator.md), driven by hand-made requests.
const { keys, signer, hash } = await devClientSigner();
const emulator = await startTestEmulator();
t.teardown(() => emulator.close());
const REDIRECT = 'https://rp.example.ru/esia/callback';
const OTHER_REDIRECT = 'https://rp.example.ru/other';
await emulator.registerClient({ clientId: 'RP', redirectUris: [REDIRECT, OTHER_REDIRECT], certificates: [readFileSync(keys.clientCert, 'utf8')], scopes: ALL_TEST_SCOPES, tokenAlg: 'RS256' });
await emulator.registerClient({ clientId: 'NARROW', redirectUris: [REDIRECT], certificates: [readFileSync(keys.clientCert, 'utf8')], scopes: ['openid', 'fullname'], tokenAlg: 'RS256' });

const sign = async (text: string, encoding: SecretEncoding = 'base64url') => encodeSignature(await signer.signRaw(Buffer.from(text)), encoding);

async function authorizeUrl(overrides: Record<string, string | undefined> = {}, options: { encoding?: SecretEncoding; protocol?: 'v1' | 'v2' } = {}): Promise<string> {
  const p = { client_id: 'RP', redirect_uri: REDIRECT, scope: 'openid fullname snils email', state: randomUUID(), timestamp: esiaTimestamp(new Date()), ...overrides };
  const parts = { clientId: p.client_id ?? '', scope: p.scope ?? '', timestamp: p.timestamp ?? '', state: p.state ?? '', redirectUri: p.redirect_uri ?? '' };
  const v1 = options.protocol === 'v1';
  const secret = v1 ? encodeSignature(await signer.signCms(Buffer.from(v1SignedString(parts)))) : await sign(v2AuthorizeString(parts), options.encoding);
  const params = new URLSearchParams({ response_type: 'code', access_type: 'online', client_secret: secret, ...(v1 ? {} : { client_certificate_hash: hash }) });
  for (const [k, v] of Object.entries(p)) if (v !== undefined) params.set(k, v);
  for (const [k, v] of Object.entries(overrides)) if (v === undefined) params.delete(k);
  return `${emulator.url}/aas/oauth2/${v1 ? 'ac' : 'v2/ac'}?${params}`;
}

/** Through the login and consent pages: the redirect ESIA makes to the RP. */
async function obtainCode(url: string, oid = '1000000102'): Promise<URL> {
  return new URL((await passEsia(new Browser(), url, { oid, callbackPrefix: 'https://rp.example.ru/' })).callbackUrl);
}

async function exchange(code: string, overrides: Record<string, string> = {}, options: { protocol?: 'v1' | 'v2'; json?: boolean } = {}) {
  const p = { client_id: 'RP', code, grant_type: 'authorization_code', redirect_uri: REDIRECT, scope: 'openid fullname snils email', state: randomUUID(), timestamp: esiaTimestamp(new Date()), token_type: 'Bearer', ...overrides };
  const parts = { clientId: p.client_id, scope: p.scope, timestamp: p.timestamp, state: p.state, redirectUri: p.redirect_uri };
  const v1 = options.protocol === 'v1';
  const secret = v1 ? encodeSignature(await signer.signCms(Buffer.from(v1SignedString(parts)))) : await sign(v3TokenString({ ...parts, code: p.code }));
  const body = { ...p, client_secret: secret, ...(v1 ? {} : { client_certificate_hash: hash }), ...overrides };
  const response = await fetch(`${emulator.url}/aas/oauth2/${v1 ? 'te' : 'v3/te'}`, {
    method: 'POST',
    headers: { 'content-type': options.json ? 'application/json' : 'application/x-www-form-urlencoded' },
    body: options.json ? JSON.stringify(body) : new URLSearchParams(body).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string>, state: p.state };
}

const decode = (jwt: string, part: 0 | 1) => JSON.parse(Buffer.from(jwt.split('.')[part]!, 'base64url').toString()) as Record<string, unknown>;

t.test('/v2/ac → login → consent → code; /v3/te → ESIA-shaped tokens', async (t) => {
  const state = randomUUID();
  const back = await obtainCode(await authorizeUrl({ state }));
  t.equal(back.searchParams.get('state'), state);
  const { status, body, state: teState } = await exchange(back.searchParams.get('code')!);
  t.equal(status, 200);
  t.same(Object.keys(body).sort(), ['access_token', 'expires_in', 'id_token', 'state', 'token_type']);
  t.equal(body['state'], teState, 'the /te state echoed');
  t.same(decode(body['access_token']!, 0), { ver: 1, typ: 'JWT', sbt: 'access', alg: 'RS256' });
  const access = decode(body['access_token']!, 1);
  t.match(access, { scope: 'openid fullname?oid=1000000102 snils?oid=1000000102 email?oid=1000000102', iss: emulator.issuer, 'urn:esia:sbj_id': 1000000102, client_id: 'RP' });
  t.notOk('aud' in access, 'no aud on the access token');
  t.equal((access['exp'] as number) - (access['iat'] as number), 3600);
  t.same(decode(body['id_token']!, 0), { ver: 0, typ: 'JWT', sbt: 'id', alg: 'RS256' });
  const id = decode(body['id_token']!, 1);
  t.match(id, { aud: 'RP', sub: 1000000102, amr: 'PWD', iss: emulator.issuer, 'urn:esia:sbj': { 'urn:esia:sbj:typ': 'P', 'urn:esia:sbj:is_tru': true, 'urn:esia:sbj:oid': 1000000102, 'urn:esia:sbj:nam': 'OID.1000000102' } });
  t.match(emulator.issuer, /^http:\/\/.+\/$/);
  t.notOk('nonce' in id);
  t.equal((await exchange(back.searchParams.get('code')!)).body['error_description']?.slice(0, 11), 'ESIA-007011', 'codes are single-use');
});

t.test('fault wrongState: a successful token response carries another UUID; errors still echo the request state', async (t) => {
  emulator.faults.set({ wrongState: true });
  t.teardown(() => emulator.faults.reset());
  const back = await obtainCode(await authorizeUrl());
  const { status, body, state } = await exchange(back.searchParams.get('code')!);
  t.equal(status, 200, 'otherwise a normal exchange');
  t.ok(body['id_token'] && body['access_token']);
  t.match(body['state'], /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'still a UUID');
  t.not(body['state'], state, 'but not the one the request sent');
  const reused = await exchange(back.searchParams.get('code')!);
  t.equal(reused.body['state'], reused.state, 'an error answer echoes the request state as usual');
});

t.test('codes are bound to redirect_uri and scope', async (t) => {
  const a = await obtainCode(await authorizeUrl());
  t.match((await exchange(a.searchParams.get('code')!, { redirect_uri: OTHER_REDIRECT })).body, { error: 'invalid_grant', error_description: /^ESIA-007011/ });
  const b = await obtainCode(await authorizeUrl());
  t.match((await exchange(b.searchParams.get('code')!, { scope: 'openid fullname' })).body, { error_description: /^ESIA-007011/ });
});

t.test('/v3/te refuses JSON bodies, names missing parameters, checks every signature', async (t) => {
  const code = (await obtainCode(await authorizeUrl())).searchParams.get('code')!;
  const json = await exchange(code, {}, { json: true });
  t.equal(json.status, 400);
  t.equal(json.body['error_description'], 'ESIA-007014: The request doesn`t contain the mandatory parameter [state, client_id].');
  const missing = await fetch(`${emulator.url}/aas/oauth2/v3/te`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'authorization_code', client_id: 'RP', state: 'abc' }).toString() });
  t.equal(missing.status, 400);
  t.match(await missing.json(), { error: 'invalid_request', error_description: /ESIA-007014: .*\[client_secret, scope, timestamp, token_type, code, redirect_uri, client_certificate_hash\]/, state: 'abc' });
  t.match((await exchange(code, { client_secret: await sign('something else') })).body, { error: 'access_denied', error_description: /^ESIA-007053: OAuthErrorEnum.clientSecretWrong/ });
  t.match((await exchange(code, { timestamp: esiaTimestamp(new Date(Date.now() - 6 * 60_000)) })).body, { error_description: /^ESIA-007015/ });
  t.match((await exchange(code, { grant_type: 'password' })).body, { error: 'unsupported_grant_type', error_description: /^ESIA-007009/ });
  t.equal((await exchange(code)).status, 200, 'the code survived the refused attempts');
});

t.test('/v2/ac checks: registered redirect, approved and known scopes, hash, timestamp, parameters', async (t) => {
  const unregistered = await fetch(await authorizeUrl({ redirect_uri: 'https://evil.example/cb' }), { redirect: 'manual' });
  t.equal(unregistered.status, 400, 'no redirect to an unregistered URI: a page');
  t.match(await unregistered.text(), /ESIA-007023/);
  const errorOf = async (url: string) => {
    const r = await fetch(url, { redirect: 'manual' });
    const location = new URL(r.headers.get('location')!);
    return { error: location.searchParams.get('error'), description: location.searchParams.get('error_description') ?? '', state: location.searchParams.get('state') };
  };
  t.match(await errorOf(await authorizeUrl({ client_id: 'NARROW', scope: 'openid fullname snils' })), { error: 'access_denied', description: /^ESIA-007019: OAuthErrorEnum.noGrants/ });
  t.match(await errorOf(await authorizeUrl({ scope: 'openid telepathy' })), { description: /^ESIA-007006/ });
  const state = randomUUID();
  t.match(await errorOf((await authorizeUrl({ state })).replace(/client_certificate_hash=[0-9A-F]+/, `client_certificate_hash=${createHash('sha1').update('x').digest('hex')}`)), { description: /^ESIA-007053/, state }, 'a SHA-1 thumbprint: 007053 with the state');
  t.match(await errorOf(await authorizeUrl({ timestamp: esiaTimestamp(new Date(Date.now() + 6 * 60_000)) })), { description: /^ESIA-007015/ });
  t.match(await errorOf(await authorizeUrl({ timestamp: '2025-01-01T00:00:00Z' })), { description: /^ESIA-007015/ });
  t.match(await errorOf(await authorizeUrl({ state: 'not-a-uuid' })), { description: /^ESIA-007003/ });
  t.match(await errorOf(await authorizeUrl({ state: undefined })), { description: /^ESIA-007014: .*\[state\]/ });
  t.match(await errorOf((await authorizeUrl()).replace(/client_secret=[^&]+/, `client_secret=${await sign('x')}`)), { description: /^ESIA-007053/ });
});

t.test('client_secret: base64url without padding, with padding, and standard base64 all verify', async (t) => {
  for (const encoding of ['base64url', 'base64url-padded', 'base64'] as const) {
    const back = await obtainCode(await authorizeUrl({}, { encoding }));
    t.ok(back.searchParams.get('code'), encoding);
  }
});

t.test('legacy v1: /ac and /te with a CMS detached signature', async (t) => {
  const back = await obtainCode(await authorizeUrl({}, { protocol: 'v1' }));
  const { status, body } = await exchange(back.searchParams.get('code')!, {}, { protocol: 'v1' });
  t.equal(status, 200);
  t.ok(body['id_token']);
  const wrong = await fetch((await authorizeUrl({}, { protocol: 'v1' })).replace(/client_secret=[^&]+/, `client_secret=${await sign('raw is not CMS')}`), { redirect: 'manual' });
  t.match(new URL(wrong.headers.get('location')!).searchParams.get('error_description'), /^ESIA-007053/);
});

t.test('refresh tokens: offline only, rotated, state echoed', async (t) => {
  const back = await obtainCode(await authorizeUrl({ access_type: 'offline' }));
  const first = await exchange(back.searchParams.get('code')!);
  t.match(first.body['refresh_token'], /^[0-9a-f-]{36}$/);
  const refresh = async (token: string) => {
    const p = { clientId: 'RP', scope: 'openid fullname snils email', timestamp: esiaTimestamp(new Date()), state: randomUUID(), redirectUri: REDIRECT };
    const body = { client_id: 'RP', grant_type: 'refresh_token', refresh_token: token, scope: p.scope, state: p.state, timestamp: p.timestamp, token_type: 'Bearer', redirect_uri: REDIRECT, client_certificate_hash: hash, client_secret: await sign(v3RefreshString('ilimurzin', { ...p, refreshToken: token })) };
    const r = await fetch(`${emulator.url}/aas/oauth2/v3/te`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body).toString() });
    return { status: r.status, body: (await r.json()) as Record<string, string>, state: p.state };
  };
  const second = await refresh(first.body['refresh_token']!);
  t.equal(second.status, 200);
  t.equal(second.body['state'], second.state);
  t.not(second.body['refresh_token'], first.body['refresh_token'], 'rotated');
  t.match((await refresh(first.body['refresh_token']!)).body, { error_description: /^ESIA-007011/ }, 'the old one is gone');
});

t.test('person REST API: bearer auth, scope rules, embed', async (t) => {
  const back = await obtainCode(await authorizeUrl({ scope: 'openid fullname snils email id_doc' }), '1000000101');
  const { body } = await exchange(back.searchParams.get('code')!, { scope: 'openid fullname snils email id_doc' });
  const auth = { authorization: `Bearer ${body['access_token']}` };
  const get = async (path: string, headers: Record<string, string> = auth) => {
    const r = await fetch(`${emulator.url}${path}`, { headers });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
  const person = await get('/rs/prns/1000000101');
  t.equal(person.status, 200);
  t.match(person.body, { firstName: 'Елена', lastName: 'Смирнова', snils: '145-278-903 84', trusted: false, status: 'REGISTERED', stateFacts: ['EntityRoot'] });
  t.notOk('birthDate' in person.body, 'birthdate not in the scope: not in the answer');
  t.notOk('inn' in person.body);
  const links = await get('/rs/prns/1000000101/ctts');
  t.match(links.body, { stateFacts: ['hasSize'], size: 1 });
  t.match((links.body['elements'] as string[])[0], new RegExp(`^${emulator.url}/rs/prns/1000000101/ctts/\\d+$`), 'elements are URLs without embed; email scope: EML only');
  const item = await get(new URL((links.body['elements'] as string[])[0]!).pathname);
  t.match(item.body, { type: 'EML', value: 'e.smirnova@example.ru', vrfStu: 'VERIFIED' });
  const docs = await get('/rs/prns/1000000101/docs?embed=(elements)');
  t.match(docs.body, { size: 1, elements: [{ type: 'RF_PASSPORT', vrfStu: 'VERIFIED', series: '2804' }] });
  const embedded = await get('/rs/prns/1000000101?embed=(contacts.elements,documents.elements)');
  t.match(embedded.body, { contacts: { elements: [{ type: 'EML' }] }, documents: { elements: [{ type: 'RF_PASSPORT' }] }, rIdDoc: (docs.body['elements'] as Array<{ id: number }>)[0]!.id });
  t.equal((await get('/rs/prns/1000000101/addrs')).status, 403, 'addresses not in the scope');
  t.equal((await get('/rs/prns/1000000102')).status, 403, 'another oid');
  t.equal((await get('/rs/prns/1000000101', {})).status, 401);
  t.equal((await get('/rs/prns/1000000101', { authorization: 'Bearer nope' })).status, 401);
});

t.test('person_filter=conf_acc refuses an unconfirmed account with 007055', async (t) => {
  const url = (await authorizeUrl()) + `&person_filter=${Buffer.from('conf_acc').toString('base64')}`;
  const refused = await obtainCode(url, '1000000101');
  t.match(refused.searchParams.get('error_description'), /^ESIA-007055/);
  const allowed = await obtainCode((await authorizeUrl()) + `&person_filter=${Buffer.from('conf_acc').toString('base64')}`, '1000000102');
  t.ok(allowed.searchParams.get('code'));
});

t.test('logout: redirect_url, and the SSO session ends', async (t) => {
  const browser = new Browser();
  await passEsia(browser, await authorizeUrl(), { oid: '1000000102', callbackPrefix: 'https://rp.example.ru/' });
  const sso = await passEsia(browser, await authorizeUrl(), { oid: '1000000102', callbackPrefix: 'https://rp.example.ru/' });
  t.equal(sso.sawLoginPage, false);
  const out = await browser.fetch(`${emulator.url}/idp/ext/Logout?client_id=RP&redirect_url=${encodeURIComponent('https://diary.example.ru/bye')}`);
  t.equal(Browser.location(out, emulator.url), 'https://diary.example.ru/bye');
  const again = await passEsia(browser, await authorizeUrl(), { oid: '1000000102', callbackPrefix: 'https://rp.example.ru/' });
  t.equal(again.sawLoginPage, true);
  t.equal((await browser.fetch(`${emulator.url}/idp/ext/Logout?client_id=RP`)).status, 400, 'redirect_url is required');
});

t.test('publicUrl sets the issuer the way ESIA writes it (http, host, trailing slash)', async (t) => {
  const named = await startTestEmulator({ publicUrl: 'https://esia.local:8443/' });
  t.teardown(() => named.close());
  t.equal(named.url, 'https://esia.local:8443');
  t.equal(named.issuer, 'http://esia.local:8443/');
});
