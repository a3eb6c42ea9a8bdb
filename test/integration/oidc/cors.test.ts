import t from 'tap';
import { registerClient, startOidcBroker } from '../../helpers/oidc.js';

// CORS on exactly the endpoints a browser app calls; the real-browser login is in
// test/integration/oidc/spa-browser.test.ts.
const broker = await startOidcBroker();
t.teardown(() => broker.close());
const spa = await registerClient(broker.deps, { authMethod: 'none', clientId: 'spa-cors' });
const SPA_ORIGIN = 'https://spa-cors.diary.example';
await registerClient(broker.deps, { clientId: 'spa-extra', allowedOrigins: ['http://localhost:5173'] });

function preflight(path: string, origin: string, method = 'POST'): Promise<Response> {
  return fetch(`${broker.url}${path}`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'content-type' } });
}

t.test('discovery and JWKS are public documents: any origin, no credentials', async (t) => {
  for (const path of ['/.well-known/openid-configuration', '/jwks']) {
    const res = await fetch(`${broker.url}${path}`, { headers: { origin: 'https://anyone.example' } });
    t.equal(res.status, 200);
    t.equal(res.headers.get('access-control-allow-origin'), '*', path);
    t.equal(res.headers.get('access-control-allow-credentials'), null, 'never credentials with *');
    const pre = await preflight(path, 'https://anyone.example', 'GET');
    t.equal(pre.status, 204, `OPTIONS ${path}`);
    t.equal(pre.headers.get('access-control-allow-origin'), '*');
    t.match(pre.headers.get('access-control-allow-methods'), /GET/);
  }
});

t.test('/token, /userinfo and /revoke answer the origins of registered clients', async (t) => {
  for (const [path, method] of [['/token', 'POST'], ['/userinfo', 'GET'], ['/revoke', 'POST']] as const) {
    const pre = await preflight(path, SPA_ORIGIN, method);
    t.equal(pre.status, 204, `OPTIONS ${path} (was 404)`);
    t.equal(pre.headers.get('access-control-allow-origin'), SPA_ORIGIN);
    t.match(pre.headers.get('access-control-allow-methods'), method);
    t.match(pre.headers.get('access-control-allow-headers'), /content-type/);
    t.match(pre.headers.get('access-control-allow-headers'), /authorization/);
    t.equal(pre.headers.get('access-control-max-age'), '600');
    t.match(pre.headers.get('vary'), /Origin/);
    t.equal(pre.headers.get('access-control-allow-credentials'), null);

    const foreign = await preflight(path, 'https://evil.example', method);
    t.equal(foreign.headers.get('access-control-allow-origin'), null, `${path}: an unregistered origin gets nothing`);
    t.match(foreign.headers.get('vary'), /Origin/, 'caches keep answers per origin');
  }
  const extra = await preflight('/token', 'http://localhost:5173');
  t.equal(extra.headers.get('access-control-allow-origin'), 'http://localhost:5173', 'an explicit allowed_origins entry');

  // Errors carry CORS too, so the app can read why.
  const refused = await fetch(`${broker.url}/token`, { method: 'POST', headers: { origin: SPA_ORIGIN }, body: new URLSearchParams({ grant_type: 'authorization_code', code: 'nope', client_id: spa.clientId, redirect_uri: spa.redirectUri, code_verifier: 'x'.repeat(43) }) });
  t.equal(refused.status, 400);
  t.equal(refused.headers.get('access-control-allow-origin'), SPA_ORIGIN);
  const userinfo = await fetch(`${broker.url}/userinfo`, { headers: { origin: SPA_ORIGIN, authorization: 'Bearer nope' } });
  t.equal(userinfo.status, 401);
  t.equal(userinfo.headers.get('access-control-allow-origin'), SPA_ORIGIN);
  t.match(userinfo.headers.get('access-control-expose-headers'), /WWW-Authenticate/i);
});

t.test('nowhere else', async (t) => {
  const introspect = await preflight('/introspect', SPA_ORIGIN);
  t.equal(introspect.headers.get('access-control-allow-origin'), null, '/introspect is for servers');
  const post = await fetch(`${broker.url}/introspect`, { method: 'POST', headers: { origin: SPA_ORIGIN }, body: new URLSearchParams({ token: 'x' }) });
  t.equal(post.headers.get('access-control-allow-origin'), null);
  for (const path of ['/authorize?client_id=spa-cors', '/admin/clients', '/healthz']) {
    const res = await fetch(`${broker.url}${path}`, { headers: { origin: SPA_ORIGIN }, redirect: 'manual' });
    t.equal(res.headers.get('access-control-allow-origin'), null, path);
  }
});
