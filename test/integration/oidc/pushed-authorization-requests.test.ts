import t from 'tap';
import * as oidc from 'openid-client';
import { sha256Base64url } from '../../../src/crypto/random.js';
import { stateKeys } from '../../../src/oidc/state-keys.js';
import { adminClient } from '../../helpers/admin.js';
import { Browser } from '../../helpers/emulator.js';
import { flowLogin, startFlowEnvironment } from '../../helpers/login-flow.js';
import { registerClient, type TestClient } from '../../helpers/oidc.js';

// Pushed authorization requests (RFC 9126) as a diary would use them: openid-client's
// buildAuthorizationUrlWithPAR, the login through ESIA (the emulator), the code at /token.
const RATE_LIMIT = 6;
// A generous ESIA timeout: under a loaded CI the emulator's answers take seconds.
const env = await startFlowEnvironment({ env: { OIDC_TOKEN_RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT), ESIA_TIMEOUT_MS: '15000' } });
t.teardown(() => env.close());
const login = flowLogin(env);
const broker = env.broker;
const { call } = adminClient(broker.url);
const profile = await env.harness.profile({ lastName: 'Смирнова', firstName: 'Елена', middleName: 'Викторовна', birthDate: '1984-05-12', snils: '145-278-903 84', roles: ['parent'], region: '38' });
const PERSONA = '1000000101';

const discover = (client: TestClient) => oidc.discovery(new URL(broker.url), client.clientId, undefined, oidc.ClientSecretBasic(client.secret), { execute: [oidc.allowInsecureRequests] });

/** POST /par by hand, form-encoded, Basic-authenticated as the client. */
async function push(client: TestClient, params: Record<string, string>, secret = client.secret) {
  const response = await fetch(`${broker.url}/par`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.clientId}:${secret}`).toString('base64')}` },
    body: new URLSearchParams(params),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const validParams = (client: TestClient) => ({
  response_type: 'code',
  redirect_uri: client.redirectUri,
  scope: 'openid profile',
  state: 'state-1',
  nonce: 'nonce-1',
  code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
  code_challenge_method: 'S256',
});

/** /authorize as the browser sees it: the status and, for a page, its error code. */
async function authorizePage(query: Record<string, string>) {
  const response = await new Browser().fetch(`${broker.url}/authorize?${new URLSearchParams(query)}`);
  const page = response.status === 302 ? '' : await response.text();
  return { status: response.status, location: response.headers.get('location'), error: /data-error="([a-z_]+)"/.exec(page)?.[1] };
}

t.test('discovery names the PAR endpoint; PAR is not required at server level', async (t) => {
  const metadata = env.config.serverMetadata();
  t.equal(metadata.pushed_authorization_request_endpoint, `${broker.url}/par`);
  t.equal(metadata.require_pushed_authorization_requests, false);
});

t.test('a login started with PAR through ESIA ends in tokens', async (t) => {
  const result = await login(PERSONA, { par: true });
  const tokens = await result.tokens();
  t.equal(tokens.claims()!.sub, profile.id, 'tokens for the matched profile');
  t.equal(tokens.claims()!['acr'], 'urn:esia:standard');
  t.same([...result.authorizeUrl.searchParams.keys()].sort(), ['client_id', 'request_uri'], 'the browser carried only client_id and request_uri');
  const replayed = await authorizePage(Object.fromEntries(result.authorizeUrl.searchParams));
  t.same([replayed.status, replayed.error], [400, 'invalid_request_uri'], 'the same authorization URL used twice is refused');
});

t.test('the authorization URL holds nothing but client_id and request_uri, and is single use', async (t) => {
  const pushed = await push(env.client, validParams(env.client));
  t.equal(pushed.status, 201);
  t.match(pushed.body['request_uri'], /^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{43}$/);
  t.equal(pushed.body['expires_in'], 60);
  const requestUri = String(pushed.body['request_uri']);
  const ttl = await broker.deps.state.ttl(stateKeys.pushedRequest(sha256Base64url(requestUri.split(':').at(-1)!)));
  t.ok(ttl !== null && ttl > 50_000 && ttl <= 60_000, `stored for 60 s (${ttl} ms left)`);

  const first = await authorizePage({ client_id: env.client.clientId, request_uri: requestUri });
  t.equal(first.status, 302, 'the first use goes on to ESIA');
  t.match(first.location, /\/aas\/oauth2\/v2\/ac\?/);
  const second = await authorizePage({ client_id: env.client.clientId, request_uri: requestUri });
  t.same([second.status, second.error], [400, 'invalid_request_uri'], 'the second use is refused on a page');
  const unknown = await authorizePage({ client_id: env.client.clientId, request_uri: 'urn:ietf:params:oauth:request_uri:never-issued' });
  t.same([unknown.status, unknown.error], [400, 'invalid_request_uri'], 'an unknown (or expired) request_uri too');
});

t.test("another client's request_uri is refused and stays usable by its own client", async (t) => {
  const other = await registerClient(broker.deps, { regions: ['38'] });
  const pushed = await push(env.client, validParams(env.client));
  const requestUri = String(pushed.body['request_uri']);
  const foreign = await authorizePage({ client_id: other.clientId, request_uri: requestUri });
  t.same([foreign.status, foreign.error], [400, 'invalid_request_uri']);
  const own = await authorizePage({ client_id: env.client.clientId, request_uri: requestUri });
  t.equal(own.status, 302, 'its own client still starts the login with it');
});

t.test('parameters beside request_uri may repeat the pushed ones, never change or add to them', async (t) => {
  const params = validParams(env.client);
  const changed = await authorizePage({ client_id: env.client.clientId, request_uri: String((await push(env.client, params)).body['request_uri']), scope: 'openid profile email diary' });
  t.same([changed.status, changed.error], [400, 'invalid_request'], 'a different scope is refused');
  const added = await authorizePage({ client_id: env.client.clientId, request_uri: String((await push(env.client, params)).body['request_uri']), prompt: 'none' });
  t.same([added.status, added.error], [400, 'invalid_request'], 'an added prompt is refused');
  const repeated = await authorizePage({ client_id: env.client.clientId, request_uri: String((await push(env.client, params)).body['request_uri']), response_type: 'code', scope: 'openid profile' });
  t.equal(repeated.status, 302, 'response_type and scope repeated as pushed (OIDC clients do) are fine');
  t.match(repeated.location, /\/aas\/oauth2\/v2\/ac\?/);
});

t.test('/par validates like /authorize, authenticates like /token and is rate-limited like it', async (t) => {
  const client = await registerClient(broker.deps, { regions: ['38'] });
  const good = validParams(client);
  const refusals: Array<[Record<string, string>, number, string, string]> = [
    [{ ...good, scope: 'profile' }, 400, 'invalid_scope', 'scope without openid'],
    [{ ...good, redirect_uri: 'https://elsewhere.example/cb' }, 400, 'invalid_request', 'an unregistered redirect_uri'],
    [{ ...good, code_challenge_method: 'plain' }, 400, 'invalid_request', 'PKCE plain'],
    [{ ...good, response_type: 'token' }, 400, 'unsupported_response_type', 'response_type=token'],
    [{ ...good, request_uri: 'urn:ietf:params:oauth:request_uri:x' }, 400, 'invalid_request', 'a request_uri inside a pushed request'],
  ];
  for (const [params, status, error, what] of refusals) {
    const answer = await push(client, params);
    t.same([answer.status, answer.body['error']], [status, error], what);
  }
  const wrongSecret = await push(client, good, 'not-the-secret-0123456789abcdef0123456789');
  t.same([wrongSecret.status, wrongSecret.body['error']], [401, 'invalid_client'], 'a wrong secret');
  const limited = await push(client, good);
  t.same([limited.status, limited.body['error']], [429, 'slow_down'], `after ${RATE_LIMIT} refusals the client at this address is slowed down, as at /token`);
  const others = await push(env.client, validParams(env.client));
  t.equal(others.status, 201, 'another client is not');
});

t.test('require_pushed_authorization_requests: set through the admin API, plain /authorize refused, PAR logs in', async (t) => {
  const client = await registerClient(broker.deps, { regions: ['38'] });
  const patched = await call('PATCH', `/admin/clients/${client.clientId}`, { json: { require_pushed_authorization_requests: true } });
  t.equal(patched.status, 200, 'patched', { body: patched.text });
  t.equal((patched.body['client'] as Record<string, unknown>)['require_pushed_authorization_requests'], true, 'the admin API shows the setting');

  const config = await discover(client);
  const plain = oidc.buildAuthorizationUrl(config, { ...validParams(client), state: 'plain-state' });
  const refused = await new Browser().fetch(plain.href);
  const back = new URL(refused.headers.get('location') ?? 'about:blank');
  t.equal(`${back.origin}${back.pathname}`, client.redirectUri, 'refused back to the registered redirect_uri');
  t.equal(back.searchParams.get('error'), 'invalid_request');
  t.match(back.searchParams.get('error_description'), /pushed_authorization_request_endpoint/);
  t.equal(back.searchParams.get('state'), 'plain-state');

  const result = await login(PERSONA, { par: true, as: { config, client } });
  t.equal((await result.tokens()).claims()!.sub, profile.id, 'the same client logs in through PAR');
});
