import t, { type Test } from 'tap';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeSignature, esiaTimestamp, v1SignedString, v2AuthorizeString, v3TokenString } from '../../../src/esia/protocol.js';
import { Browser, devClientSigner, passEsia, startTestEmulator } from '../../helpers/emulator.js';

/**
 * docs/emulator.md, "Every check and its answer", row by row: each row of the table is provoked
 * here and must answer with the code the row names, ESIA's text for it, the shape the row names
 * (page, redirect, 400/401/403 JSON) and an entry in the violations log. A row without a case
 * here, or a case whose row is gone, fails the file: the table cannot promise a check nobody runs.
 */
const { keys, signer, hash } = await devClientSigner();
const emulator = await startTestEmulator({ controlApi: true });
t.teardown(() => emulator.close());
const REDIRECT = 'https://rp.example.ru/esia/callback';
const OTHER_REDIRECT = 'https://rp.example.ru/other';
const SCOPE = 'openid fullname email';
const gostCert = readFileSync(keys.clientCert, 'utf8');
await emulator.registerClient({ clientId: 'RP', redirectUris: [REDIRECT, OTHER_REDIRECT], certificates: [gostCert], scopes: ['openid', 'fullname', 'email', 'snils'], tokenAlg: 'RS256' });
await emulator.registerClient({ clientId: 'OTHER_RP', redirectUris: [REDIRECT], certificates: [gostCert], scopes: ['openid', 'fullname', 'email'], tokenAlg: 'RS256' });
await emulator.registerClient({ clientId: 'RSA_ONLY', redirectUris: [REDIRECT], certificates: [readFileSync(keys.esiaRsaCert, 'utf8')], scopes: ['openid', 'fullname', 'email'], tokenAlg: 'RS256' });

/** ESIA's texts, written out: a changed text fails here, not at an integrator's parser. */
const TEXT: Record<string, string> = {
  '007002': 'The client certificate does not match the mnemonic, or no certificate is registered',
  '007003': 'The request contains a missing, invalid or duplicated parameter',
  '007004': 'The resource owner or authorization server denied the request',
  '007005': 'The client is not authorized to request an authorization code using this method',
  '007006': 'The requested scope is invalid, unknown, or malformed',
  '007009': 'The authorization grant type is not supported by the authorization server',
  '007011': 'The provided authorization grant is invalid, expired, revoked, or was issued to another client',
  '007012': 'The authorization server does not support obtaining an authorization code using this method',
  '007014': 'The request doesn`t contain the mandatory parameter',
  '007015': 'Неверное время запроса',
  '007019': 'OAuthErrorEnum.noGrants',
  '007023': 'The redirect_uri is not among the addresses registered for the system',
  '007053': 'OAuthErrorEnum.clientSecretWrong',
  '007055': 'Вход в систему осуществляется с неподтвержденной учетной записью',
};
const ERROR: Record<string, string> = {
  '007002': 'invalid_client', '007003': 'invalid_request', '007004': 'access_denied', '007005': 'unauthorized_client', '007006': 'invalid_scope',
  '007009': 'unsupported_grant_type', '007011': 'invalid_grant', '007012': 'unsupported_response_type', '007014': 'invalid_request',
  '007015': 'invalid_request', '007019': 'access_denied', '007023': 'invalid_request', '007053': 'access_denied', '007055': 'access_denied',
};
const described = (code: string, detail?: string) => `ESIA-${code}: ${TEXT[code]}${detail ? ` [${detail}]` : ''}.`;

// ---- requests as a client sends them (docs/emulator.md, "What your client sends")

type Query = Record<string, string | undefined>;
const sign = async (text: string) => encodeSignature(await signer.signRaw(Buffer.from(text)), 'base64url');

async function acUrl(over: Query = {}, options: { secret?: (signed: string) => Promise<string>; protocol?: 'v1' | 'v2'; extra?: string } = {}): Promise<string> {
  const q: Query = { client_id: 'RP', redirect_uri: REDIRECT, scope: SCOPE, response_type: 'code', state: randomUUID(), timestamp: esiaTimestamp(new Date(Date.now() + emulator.faults.current.clockOffsetMs)), access_type: 'online', ...over };
  const parts = { clientId: q['client_id'] ?? '', scope: q['scope'] ?? '', timestamp: q['timestamp'] ?? '', state: q['state'] ?? '', redirectUri: q['redirect_uri'] ?? '' };
  const v1 = options.protocol === 'v1';
  const signed = v1 ? v1SignedString(parts) : v2AuthorizeString(parts);
  const secret = options.secret ? await options.secret(signed) : v1 ? encodeSignature(await signer.signCms(Buffer.from(signed))) : await sign(signed);
  const params = new URLSearchParams();
  const all: Query = { client_secret: secret, ...(v1 ? {} : { client_certificate_hash: hash }), ...q, ...pick(over, ['client_secret', 'client_certificate_hash']) };
  for (const [name, value] of Object.entries(all)) if (value !== undefined) params.set(name, value);
  return `${emulator.url}/aas/oauth2/${v1 ? 'ac' : 'v2/ac'}?${params}${options.extra ?? ''}`;
}

function pick(q: Query, names: string[]): Query {
  return Object.fromEntries(names.filter((name) => name in q).map((name) => [name, q[name]]));
}

async function code(options: { clientId?: string; oid?: string; protocol?: 'v1' | 'v2' } = {}): Promise<string> {
  const back = new URL((await passEsia(new Browser(), await acUrl({ client_id: options.clientId ?? 'RP' }, { protocol: options.protocol ?? 'v2' }), { oid: options.oid ?? '1000000102', callbackPrefix: 'https://rp.example.ru/' })).callbackUrl);
  const value = back.searchParams.get('code');
  if (!value) throw new Error(`no code: ${back.href}`);
  return value;
}

async function te(codeValue: string, over: Query = {}, options: { secret?: (signed: string) => Promise<string>; protocol?: 'v1' | 'v2'; json?: boolean; extra?: string } = {}): Promise<Response> {
  const q: Query = { client_id: 'RP', code: codeValue, grant_type: 'authorization_code', redirect_uri: REDIRECT, scope: SCOPE, state: randomUUID(), timestamp: esiaTimestamp(new Date(Date.now() + emulator.faults.current.clockOffsetMs)), token_type: 'Bearer', ...over };
  const parts = { clientId: q['client_id'] ?? '', scope: q['scope'] ?? '', timestamp: q['timestamp'] ?? '', state: q['state'] ?? '', redirectUri: q['redirect_uri'] ?? '' };
  const v1 = options.protocol === 'v1';
  const signed = v1 ? v1SignedString(parts) : v3TokenString({ ...parts, code: codeValue });
  const secret = options.secret ? await options.secret(signed) : v1 ? encodeSignature(await signer.signCms(Buffer.from(signed))) : await sign(signed);
  const all: Query = { client_secret: secret, ...(v1 ? {} : { client_certificate_hash: hash }), ...q, ...pick(over, ['client_secret', 'client_certificate_hash']) };
  const body = Object.fromEntries(Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined));
  return fetch(`${emulator.url}/aas/oauth2/${v1 ? 'te' : 'v3/te'}`, {
    method: 'POST',
    headers: { 'content-type': options.json ? 'application/json' : 'application/x-www-form-urlencoded' },
    body: options.json ? JSON.stringify(body) : `${new URLSearchParams(body)}${options.extra ?? ''}`,
  });
}

async function accessToken(scope: string): Promise<string> {
  const back = new URL((await passEsia(new Browser(), await acUrl({ scope }), { oid: '1000000102', callbackPrefix: 'https://rp.example.ru/' })).callbackUrl);
  const response = await te(back.searchParams.get('code')!, { scope });
  return ((await response.json()) as { access_token: string }).access_token;
}

// ---- what ESIA answers, in each of its shapes, and the violations log entry for it

interface Expected {
  code: string;
  detail?: string;
  /** Only the code and text are compared (the detail is the emulator's). */
  anyDetail?: boolean;
}

function checkLog(t: Test, response: Response, code: string): void {
  const id = response.headers.get('x-emulator-request-id') ?? '';
  t.match(emulator.violations(id), [{ requestId: id, code, enforced: true }], `ESIA-${code} is in the violations log under ${id}`);
}

function checkDescription(t: Test, description: string | null | undefined, expected: Expected): void {
  if (expected.anyDetail) t.match(description, new RegExp(`^ESIA-${expected.code}: ${escapeRegExp(TEXT[expected.code]!)}( \\[[^\\]]+\\])?\\.$`));
  else t.equal(description, described(expected.code, expected.detail));
}

/** An authorization error ESIA sends back to redirect_uri: error, error_description, state. */
async function redirected(t: Test, url: string, expected: Expected & { state?: string | null }): Promise<void> {
  const response = await fetch(url, { redirect: 'manual' });
  t.equal(response.status, 302, 'a redirect to redirect_uri');
  const location = new URL(response.headers.get('location') ?? '');
  t.equal(`${location.origin}${location.pathname}`, REDIRECT);
  t.equal(location.searchParams.get('error'), ERROR[expected.code]);
  checkDescription(t, location.searchParams.get('error_description'), expected);
  const state = expected.state === undefined ? new URL(url).searchParams.get('state') : expected.state;
  t.equal(location.searchParams.get('state'), state, 'the request state echoed');
  checkLog(t, response, expected.code);
}

/** Before redirect_uri is trusted: ESIA's own page, never a redirect. */
async function page(t: Test, url: string, expected: Expected): Promise<void> {
  const response = await fetch(url, { redirect: 'manual' });
  t.equal(response.status, 400);
  t.notOk(response.headers.get('location'), 'no redirect');
  t.match(response.headers.get('content-type'), /^text\/html/);
  const text = await response.text();
  t.ok(text.includes(escapeHtml(described(expected.code, expected.detail))), `the page says ${described(expected.code, expected.detail)}`);
  checkLog(t, response, expected.code);
}

/** Token errors: HTTP 400 JSON {error, error_description, state}. */
async function tokenError(t: Test, response: Response, expected: Expected & { state?: string }): Promise<void> {
  t.equal(response.status, 400);
  const body = (await response.json()) as Record<string, string>;
  t.equal(body['error'], ERROR[expected.code]);
  checkDescription(t, body['error_description'], expected);
  if (expected.state) t.equal(body['state'], expected.state, 'the request state echoed');
  checkLog(t, response, expected.code);
}

async function rest(t: Test, path: string, authorization: string | undefined, status: 401 | 403, code: string): Promise<void> {
  const response = await fetch(`${emulator.url}${path}`, { headers: authorization ? { authorization } : {} });
  t.equal(response.status, status, `${path}: ${status}`);
  t.match(await response.json(), { code: `ESIA-${code}`, message: String });
  checkLog(t, response, code);
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

// ---- one case per row of the table, keyed by the row's "Check" cell

const cases: Record<string, (t: Test) => Promise<void>> = {
  '`client_id` or `redirect_uri` missing': async (t) => {
    await page(t, await acUrl({ client_id: undefined }), { code: '007014', detail: 'client_id' });
    await page(t, await acUrl({ redirect_uri: undefined }), { code: '007014', detail: 'redirect_uri' });
  },
  'unknown `client_id`': async (t) => {
    await page(t, await acUrl({ client_id: 'NOBODY' }), { code: '007005' });
    await tokenError(t, await te('any', { client_id: 'NOBODY' }), { code: '007005' });
  },
  '`redirect_uri` not registered (exact match)': async (t) => {
    await page(t, await acUrl({ redirect_uri: 'https://evil.example/cb' }), { code: '007023' });
    await page(t, await acUrl({ redirect_uri: `${REDIRECT}/` }), { code: '007023' });
    await tokenError(t, await te(await code(), { redirect_uri: 'https://evil.example/cb' }), { code: '007023' });
  },
  'a parameter given twice': async (t) => {
    const state = randomUUID();
    await redirected(t, await acUrl({ state }, { extra: '&scope=openid' }), { code: '007003', detail: 'scope', state });
    const tokenState = randomUUID();
    await tokenError(t, await te(await code(), { state: tokenState }, { extra: '&client_id=RP' }), { code: '007003', detail: 'client_id', state: tokenState });
  },
  'a mandatory parameter missing (`client_secret`, `scope`, `state`, `timestamp`, `client_certificate_hash`, …)': async (t) => {
    for (const name of ['client_secret', 'scope', 'timestamp', 'client_certificate_hash', 'response_type']) {
      await redirected(t, await acUrl({ [name]: undefined }), { code: '007014', detail: name });
    }
    await redirected(t, await acUrl({ state: undefined }), { code: '007014', detail: 'state', state: null });
    const state = randomUUID();
    await tokenError(t, await te(await code(), { state, client_certificate_hash: undefined }), { code: '007014', detail: 'client_certificate_hash', state });
  },
  '`/te` body not `application/x-www-form-urlencoded` (e.g. JSON)': async (t) => {
    const state = randomUUID();
    await tokenError(t, await te(await code(), { state }, { json: true }), { code: '007014', detail: 'state, client_id' });
  },
  '`response_type` not `code`': async (t) => {
    await redirected(t, await acUrl({ response_type: 'token' }), { code: '007012' });
  },
  '`state` not a UUID': async (t) => {
    await redirected(t, await acUrl({ state: 'not-a-uuid' }), { code: '007003', detail: 'state' });
    await tokenError(t, await te(await code(), { state: 'not-a-uuid' }), { code: '007003', detail: 'state', state: 'not-a-uuid' });
  },
  'unknown scope': async (t) => {
    await redirected(t, await acUrl({ scope: 'openid telepathy' }), { code: '007006' });
  },
  'scope not approved for the system': async (t) => {
    await redirected(t, await acUrl({ client_id: 'OTHER_RP', scope: 'openid fullname snils' }), { code: '007019' });
  },
  '`timestamp` unparsable or outside the window': async (t) => {
    await redirected(t, await acUrl({ timestamp: '2025-01-01T00:00:00Z' }), { code: '007015', detail: 'timestamp' });
    await redirected(t, await acUrl({ timestamp: esiaTimestamp(new Date(Date.now() - 6 * 60_000)) }), { code: '007015' });
    await redirected(t, await acUrl({ timestamp: esiaTimestamp(new Date(Date.now() + 6 * 60_000)) }), { code: '007015' });
    const state = randomUUID();
    await tokenError(t, await te(await code(), { state, timestamp: esiaTimestamp(new Date(Date.now() - 6 * 60_000)) }), { code: '007015', state });
  },
  '`client_certificate_hash` unknown (e.g. a SHA-1 thumbprint)': async (t) => {
    await redirected(t, await acUrl({ client_certificate_hash: 'A'.repeat(40) }), { code: '007053' });
    await redirected(t, await acUrl({ client_certificate_hash: hash.split('').reverse().join('') }), { code: '007053' });
    await tokenError(t, await te(await code(), { client_certificate_hash: 'B'.repeat(64) }), { code: '007053' });
  },
  '`client_secret` not a valid signature of the exact string by that certificate (wrong string, wrong byte order, CMS on v2, wrong length)': async (t) => {
    const raw = async (signed: string) => signer.signRaw(Buffer.from(signed));
    await redirected(t, await acUrl({}, { secret: async () => sign('another string') }), { code: '007053' });
    await redirected(t, await acUrl({}, { secret: async (s) => encodeSignature(Buffer.from(await raw(s)).reverse()) }), { code: '007053' });
    await redirected(t, await acUrl({}, { secret: async (s) => encodeSignature(await signer.signCms(Buffer.from(s))) }), { code: '007053' });
    await redirected(t, await acUrl({}, { secret: async (s) => encodeSignature((await raw(s)).subarray(0, 32)) }), { code: '007053' });
    await redirected(t, await acUrl({}, { secret: async () => '%%%not base64%%%' }), { code: '007053' });
    await tokenError(t, await te(await code(), {}, { secret: async (s) => encodeSignature(Buffer.from(await raw(s)).reverse()) }), { code: '007053' });
  },
  'v1: CMS does not verify (`openssl cms -verify`, registered certificates only)': async (t) => {
    await redirected(t, await acUrl({}, { protocol: 'v1', secret: async () => encodeSignature(await signer.signCms(Buffer.from('another string'))) }), { code: '007053' });
    await redirected(t, await acUrl({}, { protocol: 'v1', secret: async (s) => sign(s) }), { code: '007053' });
    await tokenError(t, await te(await code({ protocol: 'v1' }), {}, { protocol: 'v1', secret: async () => encodeSignature(await signer.signCms(Buffer.from('x'))) }), { code: '007053' });
  },
  'no GOST certificate registered': async (t) => {
    await redirected(t, await acUrl({ client_id: 'RSA_ONLY' }), { code: '007002' });
    await redirected(t, await acUrl({ client_id: 'RSA_ONLY' }, { protocol: 'v1' }), { code: '007002' });
  },
  '`grant_type` unsupported': async (t) => {
    await tokenError(t, await te(await code(), { grant_type: 'password' }), { code: '007009' });
  },
  '`token_type` not `Bearer`': async (t) => {
    await tokenError(t, await te(await code(), { token_type: 'MAC' }), { code: '007003', detail: 'token_type' });
  },
  'code unknown, reused, expired (2 min), or for another client / `redirect_uri` / `scope`': async (t) => {
    await tokenError(t, await te('no-such-code'), { code: '007011' });
    const once = await code();
    t.equal((await te(once)).status, 200, 'the first exchange');
    await tokenError(t, await te(once), { code: '007011' });
    await tokenError(t, await te(await code(), { client_id: 'OTHER_RP' }), { code: '007011' });
    await tokenError(t, await te(await code(), { redirect_uri: OTHER_REDIRECT }), { code: '007011' });
    await tokenError(t, await te(await code(), { scope: 'openid fullname' }), { code: '007011' });
    const late = await code();
    emulator.faults.set({ clockOffsetMs: 121_000 });
    t.teardown(() => emulator.faults.set({ clockOffsetMs: 0 }));
    await tokenError(t, await te(late), { code: '007011' });
    emulator.faults.set({ clockOffsetMs: 0 });
  },
  'refresh token unknown or reused (they rotate)': async (t) => {
    const back = new URL((await passEsia(new Browser(), await acUrl({ access_type: 'offline' }), { oid: '1000000102', callbackPrefix: 'https://rp.example.ru/' })).callbackUrl);
    const first = (await (await te(back.searchParams.get('code')!)).json()) as { refresh_token: string };
    const refresh = async (token: string) => {
      const p = { clientId: 'RP', scope: SCOPE, timestamp: esiaTimestamp(new Date()), state: randomUUID(), redirectUri: REDIRECT };
      const body = { client_id: 'RP', grant_type: 'refresh_token', refresh_token: token, scope: SCOPE, state: p.state, timestamp: p.timestamp, token_type: 'Bearer', redirect_uri: REDIRECT, client_certificate_hash: hash, client_secret: await sign(v2AuthorizeString(p)) };
      return fetch(`${emulator.url}/aas/oauth2/v3/te`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body).toString() });
    };
    t.equal((await refresh(first.refresh_token)).status, 200, 'the first refresh');
    await tokenError(t, await refresh(first.refresh_token), { code: '007011' });
    await tokenError(t, await refresh(randomUUID()), { code: '007011' });
  },
  '`person_filter=conf_acc` and an unconfirmed user': async (t) => {
    const url = await acUrl({}, { extra: `&person_filter=${Buffer.from('conf_acc').toString('base64')}` });
    const back = new URL((await passEsia(new Browser(), url, { oid: '1000000101', callbackPrefix: 'https://rp.example.ru/' })).callbackUrl);
    t.equal(back.searchParams.get('error'), ERROR['007055']);
    checkDescription(t, back.searchParams.get('error_description'), { code: '007055' });
    t.equal(back.searchParams.get('state'), new URL(url).searchParams.get('state'));
  },
  'the user presses «Отказать»': async (t) => {
    const url = await acUrl();
    const back = new URL((await passEsia(new Browser(), url, { oid: '1000000102', decision: 'deny', callbackPrefix: 'https://rp.example.ru/' })).callbackUrl);
    t.equal(back.searchParams.get('error'), 'access_denied');
    checkDescription(t, back.searchParams.get('error_description'), { code: '007004' });
    t.equal(back.searchParams.get('state'), new URL(url).searchParams.get('state'));
  },
  'REST: no or bad bearer token': async (t) => {
    await rest(t, '/rs/prns/1000000102', undefined, 401, '008010');
    await rest(t, '/rs/prns/1000000102/ctts', 'Bearer nope', 401, '008010');
  },
  'REST: scope does not cover the data, or another person\'s oid': async (t) => {
    const token = await accessToken('openid fullname');
    await rest(t, '/rs/prns/1000000102/ctts', `Bearer ${token}`, 403, '007019');
    await rest(t, '/rs/prns/1000000101', `Bearer ${token}`, 403, '007019');
  },
};

/** The rows of the table under "## Every check and its answer": [check, answer, source]. */
function documentedChecks(): string[][] {
  const doc = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'emulator.md'), 'utf8');
  const section = doc.split('## Every check and its answer')[1]?.split('\n## ')[0] ?? '';
  return section
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| Check') && !line.startsWith('|---'))
    .map((line) => line.slice(2, -2).split(' | ').map((cell) => cell.trim()));
}

t.test('every documented check has a case here, and every case a documented row with a source', async (t) => {
  const rows = documentedChecks();
  t.ok(rows.length >= 20, `${rows.length} rows read`);
  t.same(rows.map(([check]) => check).filter((check) => !(check! in cases)), [], 'rows without a case');
  t.same(Object.keys(cases).filter((check) => !rows.some(([row]) => row === check)), [], 'cases without a row');
  for (const [check, answer, source] of rows) {
    t.match(answer, /ESIA-\d{6}/, `${check}: the answer names the ESIA code`);
    t.ok(source && source.length > 5, `${check}: a public source`);
  }
});

for (const [check, answer] of documentedChecks()) {
  const run = cases[check!];
  if (!run) continue;
  t.test(`${check} → ${answer}`, async (t) => {
    emulator.clearViolations();
    await run(t);
  });
}
