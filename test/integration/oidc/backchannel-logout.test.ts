import t, { type Test } from 'tap';
import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import * as oidc from 'openid-client';
import type { PersonaInput } from '../../../src/emulator/personas.js';
import { newSnils } from '../../helpers/accounts.js';
import { adminClient, csvFile } from '../../helpers/admin.js';
import { flowLogin, startFlowEnvironment, type FlowEnvironment, type FlowLogin } from '../../helpers/login-flow.js';
import { startLogoutReceiver, type ReceivedLogout } from '../../helpers/logout-receiver.js';
import { registerClient } from '../../helpers/oidc.js';

// OIDC Back-Channel Logout 1.0 over real HTTP: the ESIA emulator, the broker, openid-client as
// the diary, and the diary's back-channel endpoint on its own socket. Every way a grant ends
// (logout, an admin unlink, a deactivating import, erasure, refresh token reuse) sends the
// client a logout token, verified here with jose against the broker's JWKS; a client endpoint
// that is down gets it later, one that is slow delays nobody.
const receiver = await startLogoutReceiver();
t.teardown(() => receiver.close());

type Person = { oid: string; lastName: string; firstName: string; middleName: string; birthDate: string; snils: string };
let next = 0;
function person(lastName: string): Person {
  next += 1;
  return { oid: String(1000000400 + next), lastName, firstName: 'Ирина', middleName: 'Олеговна', birthDate: '1980-02-11', snils: newSnils() };
}
const people = {
  logout: person('Абрамова'),
  unlink: person('Белова'),
  deactivated: person('Волкова'),
  erased: person('Голубева'),
  reuse: person('Денисова'),
  down: person('Ершова'),
  slow: person('Зайцева'),
};
const persona = (p: Person): PersonaInput => ({
  oid: p.oid,
  label: `Родитель ${p.lastName}`,
  trusted: true,
  lastName: p.lastName,
  firstName: p.firstName,
  middleName: p.middleName,
  birthDate: p.birthDate.split('-').reverse().join('.'),
  gender: 'F',
  snils: p.snils,
  contacts: [{ type: 'MBT', value: `+7(999)${p.oid.slice(-7)}`, vrfStu: 'VERIFIED' }],
});

const env = await startFlowEnvironment({
  extraPersonas: Object.values(people).map(persona),
  // Fast retries; a POST may take 15 s, so a slow client is waited for, not timed out. A generous
  // ESIA timeout: the emulator's GOST signing is slow on a loaded machine.
  env: { BACKCHANNEL_LOGOUT_RETRY_SECONDS: '1', BACKCHANNEL_LOGOUT_TIMEOUT_SECONDS: '15', OIDC_REFRESH_GRACE_SECONDS: '0', ESIA_TIMEOUT_MS: '20000' },
});
t.teardown(() => env.close());
const admin = adminClient(env.broker.url);
const jwks = createRemoteJWKSet(new URL(`${env.broker.url}/jwks`));

// The diary that asked for back-channel logout, next to flow's own client (which did not).
const diary = await registerClient(env.broker.deps, { backchannelLogoutUri: receiver.url, backchannelLogoutSessionRequired: true });
const diaryConfig = await oidc.discovery(new URL(env.broker.url), diary.clientId, undefined, oidc.ClientSecretBasic(diary.secret), { execute: [oidc.allowInsecureRequests] });
const diaryEnv: FlowEnvironment = { ...env, client: diary, config: diaryConfig };
const login = flowLogin(diaryEnv);

/** Single sign-on: the browser's broker session enters flow's own diary without ESIA; its id_token. */
async function ssoIntoOtherDiary(browser: FlowLogin['browser']): Promise<oidc.IDToken> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(env.config, { redirect_uri: env.client.redirectUri, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state });
  const answer = await browser.fetch(url.href);
  const back = new URL(answer.headers.get('location') ?? '', url);
  if (!back.href.startsWith(env.client.redirectUri)) throw new Error(`single sign-on went to ${back.href}`);
  return (await oidc.authorizationCodeGrant(env.config, back, { pkceCodeVerifier: verifier, expectedState: state })).claims()!;
}

/** One profile for the person, and a login into it through the back-channel diary. */
async function loggedIn(p: Person) {
  const { oid, ...fields } = p;
  const profile = await env.harness.profile({ ...fields, roles: ['parent'], schoolIds: ['school-1'], region: '38' });
  const result = await login(oid);
  const tokens = await result.tokens();
  return { profile, result, tokens, idToken: tokens.claims()! };
}

/** Verified with jose against the broker's JWKS as a relying party would (§2.6), then the claims checked. */
async function verifyLogoutToken(t: Test, received: ReceivedLogout, expected: { sub: string; sid: string | undefined }): Promise<JWTPayload> {
  t.equal(received.contentType, 'application/x-www-form-urlencoded', 'POSTed as a form (§2.5)');
  const { payload, protectedHeader } = await jwtVerify(received.token, jwks, { issuer: env.broker.url, audience: diary.clientId, typ: 'logout+jwt', maxTokenAge: '5 minutes' });
  t.equal(protectedHeader.typ, 'logout+jwt', 'typ logout+jwt');
  t.same(payload['events'], { 'http://schemas.openid.net/event/backchannel-logout': {} }, 'the back-channel logout event');
  t.notOk('nonce' in payload, 'no nonce (§2.4)');
  t.type(payload.jti, 'string', 'a jti');
  t.type(payload.iat, 'number', 'an iat');
  t.equal(payload.sub, expected.sub, 'sub: the diary profile');
  t.equal(payload['sid'], expected.sid, 'sid: the session of the id_token');
  return payload;
}

async function outboxRows(): Promise<Array<{ reason: string; attempts: number; gave_up_at: Date | null }>> {
  return env.broker.deps.database.db.selectFrom('backchannel_logouts').select(['reason', 'attempts', 'gave_up_at']).execute();
}

t.test('discovery advertises back-channel logout with sid; id_tokens carry sid', async (t) => {
  const metadata = diaryConfig.serverMetadata();
  t.equal(metadata['backchannel_logout_supported'], true);
  t.equal(metadata['backchannel_logout_session_supported'], true);
  const registered = await admin.call<{ backchannel_logout_uri: string; backchannel_logout_session_required: boolean }>('GET', `/admin/clients/${diary.clientId}`);
  t.match(registered.body, { backchannel_logout_uri: receiver.url, backchannel_logout_session_required: true }, 'the admin API shows the registration');
});

t.test('logout at the broker: a logout token to each client with a grant in the session, none to others', async (t) => {
  const before = receiver.received.length;
  const { profile, result, tokens, idToken } = await loggedIn(people.logout);
  t.type(idToken['sid'], 'string', 'the id_token names the SSO session');
  // The same browser enters flow's own diary too (single sign-on): it registered no URI.
  t.equal((await ssoIntoOtherDiary(result.browser))['sid'], idToken['sid'], 'one session, one sid for both diaries');

  const out = await result.browser.fetch(oidc.buildEndSessionUrl(diaryConfig, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: `https://${diary.clientId}.diary.example/` }).href);
  t.equal(out.status, 200, 'logged out');
  t.match(await out.text(), /Выйти также из госуслуг/, 'the logged-out page (offering the ESIA logout too)');
  const [token] = (await receiver.waitFor(before + 1)).slice(before);
  const payload = await verifyLogoutToken(t, token!, { sub: profile.id, sid: idToken['sid'] as string });
  t.notOk(payload.exp === undefined || payload.exp - payload.iat! > 600, 'short-lived');
  await new Promise((resolve) => setTimeout(resolve, 1500));
  t.equal(receiver.received.length, before + 1, 'exactly one token: the client without a backchannel_logout_uri got none');
  t.same(await outboxRows(), [], 'delivered rows leave the outbox');
});

t.test('an admin unlink sends a logout token; the admin request does not wait for it', async (t) => {
  const before = receiver.received.length;
  const slowBefore = receiver.slowAnswersSent();
  const { profile, idToken } = await loggedIn(people.unlink);
  receiver.answerWith(() => ({ status: 200, delayMs: 4000 }));
  t.teardown(() => receiver.answerPromptly());
  t.equal((await admin.call('DELETE', `/admin/links/${people.unlink.oid}/${profile.id}`)).status, 204);
  t.equal(receiver.slowAnswersSent(), slowBefore, "the admin API answered before the client's endpoint did");
  const [token] = (await receiver.waitFor(before + 1)).slice(before);
  await verifyLogoutToken(t, token!, { sub: profile.id, sid: idToken['sid'] as string });
});

t.test('a directory import deactivating the profile sends a logout token', async (t) => {
  const before = receiver.received.length;
  const { profile, idToken } = await loggedIn(people.deactivated);
  const imported = await admin.call<{ summary: { updated: number } }>('POST', '/admin/profiles/import', { text: csvFile(['id', 'activated'], [[profile.id, 'false']]) });
  t.equal(imported.body.summary.updated, 1, 'deactivated');
  const [token] = (await receiver.waitFor(before + 1)).slice(before);
  await verifyLogoutToken(t, token!, { sub: profile.id, sid: idToken['sid'] as string });
});

t.test("a person's erasure sends a logout token for each of their grants", async (t) => {
  const before = receiver.received.length;
  const { profile, idToken } = await loggedIn(people.erased);
  const erased = await admin.call<{ grants: number }>('DELETE', `/admin/people/by-esia/${people.erased.oid}`);
  t.equal(erased.status, 200);
  t.equal(erased.body.grants, 1, 'one grant erased');
  const [token] = (await receiver.waitFor(before + 1)).slice(before);
  await verifyLogoutToken(t, token!, { sub: profile.id, sid: idToken['sid'] as string });
});

t.test('refresh token reuse revokes the family and sends a logout token', async (t) => {
  const before = receiver.received.length;
  const { profile, tokens, idToken } = await loggedIn(people.reuse);
  await oidc.refreshTokenGrant(diaryConfig, tokens.refresh_token!);
  const reuse = await oidc.refreshTokenGrant(diaryConfig, tokens.refresh_token!).then(
    () => undefined,
    (error: unknown) => error as { error?: string },
  );
  t.match(reuse, { error: 'invalid_grant' }, 'the reused refresh token is refused');
  const [token] = (await receiver.waitFor(before + 1)).slice(before);
  await verifyLogoutToken(t, token!, { sub: profile.id, sid: idToken['sid'] as string });
});

t.test('a client endpoint that is down gets the token once it is back (retried with backoff)', async (t) => {
  const before = receiver.received.length;
  const { profile, tokens, idToken, result } = await loggedIn(people.down);
  await receiver.down();
  const out = await result.browser.fetch(oidc.buildEndSessionUrl(diaryConfig, { id_token_hint: tokens.id_token! }).href);
  t.equal(out.status, 200, 'logged out (the page says so) while the client is down');
  // Two failed tries at least (1 s, then 2 s apart), then the endpoint comes back.
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !(await outboxRows()).some((row) => row.attempts >= 2)) await new Promise((resolve) => setTimeout(resolve, 200));
  t.match(await outboxRows(), [{ reason: 'logout', gave_up_at: null }], 'still owed after failed tries');
  t.ok((await outboxRows())[0]!.attempts >= 2, 'tried more than once');
  await receiver.up();
  const [token] = (await receiver.waitFor(before + 1)).slice(before);
  await verifyLogoutToken(t, token!, { sub: profile.id, sid: idToken['sid'] as string });
  const metrics = await env.broker.deps.metrics.registry.getSingleMetricAsString('esia_broker_backchannel_logouts_total');
  t.match(metrics, /outcome="retry"\} [1-9]/, 'retries are counted');
  t.match(metrics, /outcome="delivered"\} [1-9]/, 'deliveries are counted');
});

t.test("a slow client endpoint does not delay the person's logout page", async (t) => {
  const before = receiver.received.length;
  const slowBefore = receiver.slowAnswersSent();
  const { tokens, result } = await loggedIn(people.slow);
  receiver.answerWith(() => ({ status: 200, delayMs: 6000 }));
  t.teardown(() => receiver.answerPromptly());
  const started = Date.now();
  const out = await result.browser.fetch(oidc.buildEndSessionUrl(diaryConfig, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: `https://${diary.clientId}.diary.example/` }).href);
  const tookMs = Date.now() - started;
  t.equal(out.status, 200, 'the logged-out page');
  await out.body?.cancel();
  t.equal(receiver.slowAnswersSent(), slowBefore, "the page was answered before the client's endpoint answered");
  t.ok(tookMs < 6000, `the logout page took ${tookMs} ms`);
  await receiver.waitFor(before + 1);
  const claims = decodeJwt(receiver.received[before]!.token);
  t.equal(claims.aud, diary.clientId, 'the token still arrives');
});
