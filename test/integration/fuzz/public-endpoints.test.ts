import t from 'tap';
import fc from 'fast-check';
import { startBroker } from '../../helpers/broker.js';
import { FUZZ_RUNS, authorization, body, fuzzSurface, headerText, nasty, params, pct, queryOf, type FuzzRequest } from '../../helpers/fuzz.js';
import { registerClient } from '../../helpers/oidc.js';

/**
 * Generated requests over every public endpoint of one real broker (the OIDC endpoints, the
 * ESIA callback, the login steps, the person's link page, regions, discovery, JWKS, probes):
 * NUL bytes, bidi controls, lone surrogates, huge values, repeated parameters, wrong JSON
 * types, wrong content types, empty and malformed bodies. Never an answer >= 500.
 */
const broker = await startBroker();
t.teardown(() => broker.close());
const diary = await registerClient(broker.deps);
const publicClient = await registerClient(broker.deps, { authMethod: 'none' });
const clients = [diary.clientId, publicClient.clientId, 'demo-diary'];
const known = [...clients, diary.redirectUri, publicClient.redirectUri, `https://${diary.clientId}.diary.example/`, diary.secret, 'https://api.diary.example'];
const basic = `Basic ${Buffer.from(`${diary.clientId}:${diary.secret}`).toString('base64')}`;

type Endpoint = { methods: string[]; path: string; names: string[]; base?: Record<string, string>; bodyOnly?: boolean };

const AUTHORIZE = ['client_id', 'redirect_uri', 'response_type', 'response_mode', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method', 'prompt', 'max_age', 'region', 'resource', 'request_uri'];
const CLIENT_AUTH = ['client_id', 'client_secret', 'client_assertion_type', 'client_assertion'];
const ENDPOINTS: Endpoint[] = [
  {
    methods: ['GET', 'POST'],
    path: '/authorize',
    names: AUTHORIZE,
    base: { client_id: diary.clientId, redirect_uri: diary.redirectUri, response_type: 'code', scope: 'openid profile', state: 's', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', region: '38' },
  },
  {
    methods: ['POST'],
    path: '/token',
    names: ['grant_type', 'code', 'redirect_uri', 'code_verifier', 'refresh_token', 'scope', 'resource', ...CLIENT_AUTH],
    base: { grant_type: 'authorization_code', code: 'c', redirect_uri: diary.redirectUri, client_id: diary.clientId, client_secret: diary.secret },
    bodyOnly: true,
  },
  {
    methods: ['POST'],
    path: '/par',
    names: [...AUTHORIZE, 'client_secret'],
    base: { client_id: diary.clientId, client_secret: diary.secret, redirect_uri: diary.redirectUri, response_type: 'code', scope: 'openid profile', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', region: '38' },
    bodyOnly: true,
  },
  { methods: ['POST'], path: '/introspect', names: ['token', 'token_type_hint', ...CLIENT_AUTH], base: { token: 't', client_id: diary.clientId, client_secret: diary.secret }, bodyOnly: true },
  { methods: ['POST'], path: '/revoke', names: ['token', 'token_type_hint', ...CLIENT_AUTH], base: { token: 't', client_id: diary.clientId, client_secret: diary.secret }, bodyOnly: true },
  { methods: ['GET', 'POST'], path: '/userinfo', names: ['access_token'] },
  { methods: ['GET', 'POST'], path: '/logout', names: ['id_token_hint', 'post_logout_redirect_uri', 'state', 'client_id', 'xsrf'], base: { client_id: diary.clientId, post_logout_redirect_uri: `https://${diary.clientId}.diary.example/`, state: 's' } },
  { methods: ['GET'], path: '/esia/callback', names: ['state', 'code', 'error', 'error_description'], base: { state: 's', code: 'c' } },
  { methods: ['GET'], path: '/esia/login', names: ['state'] },
  { methods: ['POST'], path: '/login/choose', names: ['xsrf', 'profile_id'], bodyOnly: true },
  { methods: ['POST'], path: '/login/link', names: ['xsrf', 'login', 'password'], base: { xsrf: 'x', login: 'l', password: 'p' }, bodyOnly: true },
  { methods: ['GET'], path: '/login/continue', names: ['xsrf'] },
  { methods: ['GET'], path: '/login/cancel', names: ['xsrf'] },
  { methods: ['GET'], path: '/account/links', names: [] },
  { methods: ['POST'], path: '/account/links/unlink', names: ['xsrf', 'profile_id'], bodyOnly: true },
  { methods: ['GET'], path: '/regions', names: [] },
  { methods: ['GET'], path: '/.well-known/openid-configuration', names: [] },
  { methods: ['GET'], path: '/jwks', names: [] },
  { methods: ['GET'], path: '/healthz', names: [] },
  { methods: ['GET'], path: '/readyz', names: [] },
  { methods: ['GET'], path: '/metrics', names: [] },
];

const cookie = fc.option(
  fc.tuple(fc.constantFrom('eb_session', 'eb_interaction', 'eb_esia', 'x'), headerText, fc.boolean()).map(([name, value, signed]) => `${name}=${signed ? `${pct(value)}.${pct(value)}` : pct(value)}`),
  { nil: undefined },
);
const accept = fc.constantFrom(undefined, 'text/html', 'application/json', '*/*', 'text/html;q=0, */*');

function headers(auth: string | undefined, cookieValue: string | undefined, acceptValue: string | undefined, contentType?: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries({ authorization: auth, cookie: cookieValue, accept: acceptValue, 'content-type': contentType }).filter((e): e is [string, string] => e[1] !== undefined),
  );
}

function requestsFor(endpoint: Endpoint): fc.Arbitrary<FuzzRequest> {
  const pairs = params(endpoint.names.length ? endpoint.names : ['x'], endpoint.base, known);
  const auth = authorization(endpoint.bodyOnly ? [basic] : []);
  const get = fc.tuple(pairs, fc.boolean(), auth, cookie, accept).map(([p, raw, a, c, acc]) => ({ method: 'GET', url: `${endpoint.path}${queryOf(p, raw && p.length > 0)}`, headers: headers(a, c, acc) }));
  const post = fc.tuple(body(pairs), pairs, auth, cookie, accept, fc.boolean()).map(([b, q, a, c, acc, withQuery]) => ({
    method: 'POST',
    url: `${endpoint.path}${withQuery ? queryOf(q, false) : ''}`,
    headers: headers(a, c, acc, b.contentType),
    ...(b.payload !== undefined ? { payload: b.payload } : {}),
  }));
  return fc.oneof(...endpoint.methods.map((m) => (m === 'GET' ? get : post)));
}

const pathParams = fc.oneof(
  nasty(['38', '77', '01']).map((code) => ({ method: 'GET', url: `/regions/${pct(code)}`, headers: {} })),
  fc.tuple(fc.constantFrom('PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'), fc.constantFrom(...ENDPOINTS.map((e) => e.path))).map(([method, path]) => ({ method, url: path, headers: {} })),
  nasty().map((junk) => ({ method: 'GET', url: `/${pct(junk)}`, headers: { accept: 'text/html' } })),
);

const request = fc.oneof({ weight: 1, arbitrary: pathParams }, ...ENDPOINTS.map((e) => ({ weight: e.names.length > 0 ? 6 : 1, arbitrary: requestsFor(e) })));

t.test('generated requests to every public endpoint: never >= 500, no unhandled rejection, memory flat', async (t) => {
  await fuzzSurface(t, broker.app, 'public endpoints', request, Math.round(FUZZ_RUNS * 0.6));
});
