import t from 'tap';
import { createHash, randomUUID } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, decodeJwt, exportJWK } from 'jose';
import * as oidc from 'openid-client';
import { startBroker, type TestBroker } from '../../helpers/broker.js';
import { flowLogin, startFlowEnvironment } from '../../helpers/login-flow.js';
import { registerClient, type TestClient } from '../../helpers/oidc.js';

// DPoP (RFC 9449) as a diary would use it: openid-client's getDPoPHandle through a whole login
// (the ESIA emulator), then refresh, /userinfo and /introspect; proofs made by hand for the
// refusals (replay, another URL, another key, a bound token sent as Bearer).
// A generous ESIA timeout: under a loaded CI the emulator's answers take seconds.
const env = await startFlowEnvironment({ env: { ESIA_TIMEOUT_MS: '15000' } });
t.teardown(() => env.close());
const login = flowLogin(env);
const broker = env.broker;
const profile = await env.harness.profile({ lastName: 'Смирнова', firstName: 'Елена', middleName: 'Викторовна', birthDate: '1984-05-12', snils: '145-278-903 84', roles: ['parent'], region: '38' });
const PERSONA = '1000000101';
const insecure = { execute: [oidc.allowInsecureRequests] };

const publicClient = await registerClient(broker.deps, { authMethod: 'none', regions: ['38'] });
const publicConfig = await oidc.discovery(new URL(broker.url), publicClient.clientId, undefined, oidc.None(), insecure);

const thumbprint = async (keys: oidc.CryptoKeyPair) => calculateJwkThumbprint(await exportJWK(keys.publicKey), 'sha256');

/** A DPoP proof made by hand (what openid-client sends, with any claim the test wants). */
async function proof(keys: oidc.CryptoKeyPair, claims: { htm: string; htu: string; accessToken?: string; nonce?: string; iat?: number }, header: Record<string, unknown> = {}) {
  const { accessToken, ...rest } = claims;
  return new SignJWT({
    jti: randomUUID(),
    iat: Math.floor(Date.now() / 1000),
    ...rest,
    ...(accessToken ? { ath: createHash('sha256').update(accessToken).digest('base64url') } : {}),
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(keys.publicKey), ...header })
    .sign(keys.privateKey);
}

async function userinfoWith(base: string, authorization: string, dpop?: string) {
  const response = await fetch(`${base}/userinfo`, { headers: { authorization, ...(dpop ? { dpop } : {}) } });
  return { status: response.status, challenge: response.headers.get('www-authenticate') ?? '', body: (await response.json()) as Record<string, unknown> };
}

async function refreshWith(client: TestClient, refreshToken: string, dpop?: string) {
  const response = await fetch(`${broker.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(dpop ? { dpop } : {}) },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: client.clientId }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

t.test('discovery lists the DPoP algorithms', async (t) => {
  t.match(env.config.serverMetadata().dpop_signing_alg_values_supported, ['ES256', 'ES384', 'PS256', 'RS256', 'Ed25519', 'EdDSA']);
});

t.test('a public client: DPoP-bound access and refresh tokens through a whole login', async (t) => {
  const keys = await oidc.randomDPoPKeyPair();
  const dpop = oidc.getDPoPHandle(publicConfig, keys);
  const tokens = await (await login(PERSONA, { as: { config: publicConfig, client: publicClient }, dpop, par: true })).tokens();
  t.equal(tokens.token_type, 'dpop', 'token_type DPoP');
  const jkt = await thumbprint(keys);
  t.same(decodeJwt(tokens.access_token)['cnf'], { jkt }, 'the access token carries cnf.jkt of our key');

  const info = await oidc.fetchUserInfo(publicConfig, tokens.access_token, profile.id, { DPoP: dpop });
  t.equal(info.sub, profile.id, '/userinfo with Authorization: DPoP and a proof');

  const asBearer = await userinfoWith(broker.url, `Bearer ${tokens.access_token}`);
  t.equal(asBearer.status, 401, 'the bound token as a Bearer token is refused');
  t.equal(asBearer.body['error'], 'invalid_token');
  t.match(asBearer.challenge, /^DPoP .*error="invalid_token"/, 'with a DPoP challenge');
  t.match(asBearer.challenge, /algs="ES256 /);

  // The refresh token is bound to the key: another key (or none) gets nothing and uses nothing up.
  const otherKeys = await oidc.randomDPoPKeyPair();
  const stolen = oidc.refreshTokenGrant(publicConfig, tokens.refresh_token!, undefined, { DPoP: oidc.getDPoPHandle(publicConfig, otherKeys) });
  t.equal((await stolen.then(() => undefined, (e: unknown) => e as { error?: string }))?.error, 'invalid_grant', 'a refresh with another key is refused');
  const bare = await refreshWith(publicClient, tokens.refresh_token!);
  t.same([bare.status, bare.body['error']], [400, 'invalid_grant'], 'a refresh without a proof is refused');
  t.match(bare.body['error_description'], /bound to a DPoP key/);

  const refreshed = await oidc.refreshTokenGrant(publicConfig, tokens.refresh_token!, undefined, { DPoP: dpop });
  t.not(refreshed.refresh_token, tokens.refresh_token, 'with its own key the refresh works (the token was not used up)');
  t.same(decodeJwt(refreshed.access_token)['cnf'], { jkt }, 'the new access token is bound to the same key');
  t.equal(refreshed.token_type, 'dpop');
});

t.test('a replayed proof, a proof for another URL or method, another key, a missing ath: refused', async (t) => {
  const keys = await oidc.randomDPoPKeyPair();
  const dpop = oidc.getDPoPHandle(publicConfig, keys);
  const tokens = await (await login(PERSONA, { as: { config: publicConfig, client: publicClient }, dpop })).tokens();
  const token = tokens.access_token;
  const userinfoUrl = `${broker.url}/userinfo`;
  const exportable = await oidc.randomDPoPKeyPair('ES256', { extractable: true });

  const once = await proof(keys, { htm: 'GET', htu: userinfoUrl, accessToken: token });
  t.equal((await userinfoWith(broker.url, `DPoP ${token}`, once)).status, 200, 'a fresh proof is accepted');
  const replayed = await userinfoWith(broker.url, `DPoP ${token}`, once);
  t.same([replayed.status, replayed.body['error']], [401, 'invalid_dpop_proof'], 'the same proof again is refused');
  t.match(replayed.challenge, /^DPoP .*error="invalid_dpop_proof"/);
  t.match(replayed.body['error_description'], /already used/);

  const refusals: Array<[string, Promise<string>, RegExp]> = [
    ['a proof for another URL', proof(keys, { htm: 'GET', htu: `${broker.url}/token`, accessToken: token }), /another URL/],
    ['a proof for another method', proof(keys, { htm: 'POST', htu: userinfoUrl, accessToken: token }), /another method/],
    ['a proof without ath', proof(keys, { htm: 'GET', htu: userinfoUrl }), /ath/],
    ['a proof from another key', proof(await oidc.randomDPoPKeyPair(), { htm: 'GET', htu: userinfoUrl, accessToken: token }), /another key/],
    ['a proof carrying a private key', proof(exportable, { htm: 'GET', htu: userinfoUrl, accessToken: token }, { jwk: await exportJWK(exportable.privateKey) }), /public key/],
    ['a proof with an unusable key', proof(keys, { htm: 'GET', htu: userinfoUrl, accessToken: token }, { jwk: { kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA' } }), /does not verify/],
    ['a proof typed JWT', proof(keys, { htm: 'GET', htu: userinfoUrl, accessToken: token }, { typ: 'JWT' }), /typ dpop\+jwt/],
    ['a proof from ten minutes ago', proof(keys, { htm: 'GET', htu: userinfoUrl, accessToken: token, iat: Math.floor(Date.now() / 1000) - 600 }), /iat/],
  ];
  for (const [what, made, reason] of refusals) {
    const answer = await userinfoWith(broker.url, `DPoP ${token}`, await made);
    t.same([answer.status, answer.body['error']], [401, 'invalid_dpop_proof'], what);
    t.match(answer.body['error_description'], reason, `${what}: says why`);
  }
  const missing = await userinfoWith(broker.url, `DPoP ${token}`);
  t.same([missing.status, missing.body['error']], [401, 'invalid_dpop_proof'], 'no proof at all');

  // At /token: a proof used once is refused the second time, before the grant is looked at.
  const tokenProof = await proof(keys, { htm: 'POST', htu: `${broker.url}/token` });
  const first = await refreshWith(publicClient, tokens.refresh_token!, tokenProof);
  t.equal(first.status, 200, 'a refresh with a hand-made proof works');
  const again = await refreshWith(publicClient, String(first.body['refresh_token']), tokenProof);
  t.same([again.status, again.body['error']], [400, 'invalid_dpop_proof'], 'the same proof at /token again is refused');
  const wrongUrl = await refreshWith(publicClient, String(first.body['refresh_token']), await proof(keys, { htm: 'POST', htu: `${broker.url}/userinfo` }));
  t.same([wrongUrl.status, wrongUrl.body['error']], [400, 'invalid_dpop_proof'], 'a proof for /userinfo at /token is refused');
});

t.test('a confidential client: DPoP-bound access token; introspection shows cnf.jkt and token_type DPoP', async (t) => {
  const keys = await oidc.randomDPoPKeyPair();
  const dpop = oidc.getDPoPHandle(env.config, keys);
  const tokens = await (await login(PERSONA, { dpop })).tokens();
  const introspected = await oidc.tokenIntrospection(env.config, tokens.access_token);
  t.equal(introspected.active, true);
  t.equal(introspected.token_type, 'DPoP');
  t.same(introspected['cnf'], { jkt: await thumbprint(keys) });
  const plain = await (await login(PERSONA)).tokens();
  t.equal(plain.token_type, 'bearer', 'without a proof: a Bearer token, as before');
  const plainIntrospected = await oidc.tokenIntrospection(env.config, plain.access_token);
  t.equal(plainIntrospected.token_type, 'Bearer');
  t.equal(plainIntrospected['cnf'], undefined);
  t.equal((await userinfoWith(broker.url, `DPoP ${plain.access_token}`, await proof(keys, { htm: 'GET', htu: `${broker.url}/userinfo`, accessToken: plain.access_token }))).status, 401, 'an unbound token under the DPoP scheme is refused');
});

t.test('server nonces: use_dpop_nonce with DPoP-Nonce, which openid-client follows by itself', async (t) => {
  const noncing = await startFlowEnvironment({ env: { OIDC_DPOP_REQUIRE_NONCE: 'true', ESIA_TIMEOUT_MS: '15000' } });
  t.teardown(() => noncing.close());
  await noncing.harness.profile({ lastName: 'Смирнова', firstName: 'Елена', middleName: 'Викторовна', birthDate: '1984-05-12', snils: '145-278-903 84', roles: ['parent'], region: '38' });
  const client = await registerClient(noncing.broker.deps, { authMethod: 'none', regions: ['38'] });
  const config = await oidc.discovery(new URL(noncing.broker.url), client.clientId, undefined, oidc.None(), insecure);
  const keys = await oidc.randomDPoPKeyPair();
  const dpop = oidc.getDPoPHandle(config, keys);
  const tokens = await (await flowLogin(noncing)(PERSONA, { as: { config, client }, dpop })).tokens();
  t.equal(tokens.token_type, 'dpop', 'the login ends in DPoP tokens: openid-client retried with the nonce');
  t.equal((await oidc.fetchUserInfo(config, tokens.access_token, oidc.skipSubjectCheck, { DPoP: dpop })).sub, decodeJwt(tokens.access_token).sub);

  const response = await fetch(`${noncing.broker.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: await proof(keys, { htm: 'POST', htu: `${noncing.broker.url}/token` }) },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: client.clientId }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  t.same([response.status, body['error']], [400, 'use_dpop_nonce'], 'a proof without the nonce is sent back for one');
  const nonce = response.headers.get('dpop-nonce');
  t.ok(nonce, 'with DPoP-Nonce');
  const withNonce = await fetch(`${noncing.broker.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: await proof(keys, { htm: 'POST', htu: `${noncing.broker.url}/token`, nonce: nonce! }) },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: client.clientId }),
  });
  t.equal(withNonce.status, 200, 'the same refresh with the nonce works: the refusal used nothing up');
  const wrongNonce = await userinfoWith(noncing.broker.url, `DPoP ${tokens.access_token}`, await proof(keys, { htm: 'GET', htu: `${noncing.broker.url}/userinfo`, accessToken: tokens.access_token, nonce: 'made-up' }));
  t.equal(wrongNonce.status, 401);
  t.match(wrongNonce.challenge, /^DPoP .*error="use_dpop_nonce"/, '/userinfo asks for the nonce in WWW-Authenticate');
});

t.test('a proof replayed at another instance sharing Redis and Postgres is refused', { skip: !(process.env['REDIS_URL'] && process.env['DATABASE_URL']) && 'needs REDIS_URL and DATABASE_URL' }, async (t) => {
  const storage = broker.config.storage;
  // A second broker process of the same deployment: same PUBLIC_URL, database and Redis prefix.
  const second: TestBroker = await startBroker({ env: { PUBLIC_URL: broker.url, DATABASE_URL: storage.databaseUrl, REDIS_KEY_PREFIX: storage.redisKeyPrefix, MIGRATE_ON_START: 'false' } });
  t.teardown(() => second.close());
  const keys = await oidc.randomDPoPKeyPair();
  const tokens = await (await login(PERSONA, { as: { config: publicConfig, client: publicClient }, dpop: oidc.getDPoPHandle(publicConfig, keys) })).tokens();
  const token = tokens.access_token;
  const userinfoUrl = `${broker.url}/userinfo`;

  const fresh = await userinfoWith(second.url, `DPoP ${token}`, await proof(keys, { htm: 'GET', htu: userinfoUrl, accessToken: token }));
  t.equal(fresh.status, 200, 'the second instance accepts a fresh proof for the token the first issued');
  const used = await proof(keys, { htm: 'GET', htu: userinfoUrl, accessToken: token });
  t.equal((await userinfoWith(broker.url, `DPoP ${token}`, used)).status, 200, 'the first instance accepts a proof');
  const replayed = await userinfoWith(second.url, `DPoP ${token}`, used);
  t.same([replayed.status, replayed.body['error']], [401, 'invalid_dpop_proof'], 'the second instance refuses the same proof');
});
