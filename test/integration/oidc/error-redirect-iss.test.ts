import t from 'tap';
import { adminClient } from '../../helpers/admin.js';
import { TestBrowser, insertProfile, startOidcBroker } from '../../helpers/oidc.js';

// mod_auth_openidc reads any callback carrying `iss` as an IdP-discovery answer before it looks
// at `error`: a client may ask for error redirects without `iss` (RFC 9207 stays on by default).
const broker = await startOidcBroker();
t.teardown(() => broker.close());
const { call } = adminClient(broker.url);
const profileId = (await insertProfile(broker.deps)).id;

async function register(clientId: string, extra: Record<string, unknown>) {
  const created = await call('POST', '/admin/clients', { json: { client_id: clientId, client_name: clientId, redirect_uris: [`https://${clientId}.example/cb`], regions: ['38'], ...extra } });
  t.equal(created.status, 201, `${clientId} registered`, { body: created.text });
  return created.body as { client: Record<string, unknown>; client_secret: string };
}

function authorize(clientId: string, extra: Record<string, string> = {}): Promise<URL> {
  const url = new URL(`${broker.url}/authorize`);
  const params = { client_id: clientId, redirect_uri: `https://${clientId}.example/cb`, response_type: 'code', scope: 'openid', state: 'st-1', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', ...extra };
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return new TestBrowser(broker.url).navigate(url.toString()).then(({ url: back }) => new URL(back));
}

t.test('authorization_error_iss: false leaves iss out of error redirects only', async (t) => {
  const quiet = await register('apache-rp', { authorization_error_iss: false });
  t.equal(quiet.client['authorization_error_iss'], false, 'the admin API stores and shows the setting');
  const plain = await register('plain-rp', {});
  t.equal(plain.client['authorization_error_iss'], true, 'on by default');

  // An invalid request (redirected from /authorize itself).
  const refusedQuiet = await authorize('apache-rp', { scope: 'profile' });
  t.equal(refusedQuiet.searchParams.get('error'), 'invalid_scope');
  t.equal(refusedQuiet.searchParams.get('state'), 'st-1');
  t.notOk(refusedQuiet.searchParams.has('iss'), 'no iss for the client that turned it off');
  const refusedPlain = await authorize('plain-rp', { scope: 'profile' });
  t.equal(refusedPlain.searchParams.get('iss'), broker.url, 'iss for everyone else');

  // prompt=none without a session (from the SSO decision).
  const none = await authorize('apache-rp', { prompt: 'none' });
  t.equal(none.searchParams.get('error'), 'login_required');
  t.notOk(none.searchParams.has('iss'));

  // A login refused after the trip to ESIA (the interaction fails).
  broker.loginAs(() => ({ failure: { error: 'access_denied', reason: 'consent_refused', description: 'the person refused consent at ESIA' } }));
  const failed = await authorize('apache-rp');
  t.equal(failed.searchParams.get('error'), 'access_denied');
  t.notOk(failed.searchParams.has('iss'));
  const failedPlain = await authorize('plain-rp');
  t.equal(failedPlain.searchParams.get('iss'), broker.url);

  // A successful login still carries iss: only error responses change.
  broker.loginAs(() => ({ profile: { profileId, esiaOid: '3000001', level: 'standard', authTime: Math.floor(Date.now() / 1000) } }));
  const granted = await authorize('apache-rp');
  t.ok(granted.searchParams.get('code'), 'a code');
  t.equal(granted.searchParams.get('iss'), broker.url, 'the success response keeps iss');

  const patched = await call('PATCH', '/admin/clients/apache-rp', { json: { authorization_error_iss: true } });
  t.equal(patched.status, 200);
  const again = await authorize('apache-rp', { scope: 'profile' });
  t.equal(again.searchParams.get('iss'), broker.url, 'turned back on');
});
