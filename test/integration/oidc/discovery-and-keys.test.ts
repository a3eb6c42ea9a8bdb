import t from 'tap';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { signJwt } from '../../../src/crypto/jwt.js';
import { createOidcProvider } from '../../../src/oidc/provider.js';
import { createPostgresSigningKeyRepo } from '../../../src/store/postgres/signing-keys-repo.js';
import { startBroker } from '../../helpers/broker.js';

t.test('discovery, JWKS, keys at rest and the seeded client', async (t) => {
  const broker = await startBroker();
  t.teardown(() => broker.close());

  const res = await fetch(`${broker.url}/.well-known/openid-configuration`);
  t.equal(res.status, 200);
  const meta = (await res.json()) as Record<string, unknown>;
  t.equal(meta['issuer'], broker.url, 'issuer is PUBLIC_URL');
  t.equal(meta['jwks_uri'], `${broker.url}/jwks`);
  t.equal(meta['token_endpoint'], `${broker.url}/token`);
  t.same(meta['response_types_supported'], ['code']);
  t.same(meta['code_challenge_methods_supported'], ['S256']);
  t.same(meta['acr_values_supported'], ['urn:esia:simplified', 'urn:esia:standard', 'urn:esia:confirmed']);
  t.equal(meta['authorization_response_iss_parameter_supported'], true);
  t.notOk((meta['claims_supported'] as string[]).some((c) => /snils/i.test(c)), 'SNILS is never a claim');

  const spoofed = await fetch(`${broker.url}/.well-known/openid-configuration`, { headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example' } });
  t.equal(((await spoofed.json()) as { issuer: string }).issuer, broker.url, 'the issuer never comes from request headers');

  const jwksRes = await fetch(`${broker.url}/jwks`);
  t.equal(jwksRes.status, 200);
  t.match(jwksRes.headers.get('content-type'), /json/);
  const jwks = (await jwksRes.json()) as { keys: Array<Record<string, unknown>> };
  t.same(jwks.keys.map((k) => k['alg']).sort(), ['ES256', 'RS256'], 'one key per algorithm on a fresh database');
  for (const key of jwks.keys) {
    t.equal(key['use'], 'sig');
    t.ok(key['kid']);
    t.notOk('d' in key || 'p' in key || 'q' in key, 'no private parts published');
  }

  const jwksEtag = jwksRes.headers.get('etag');
  t.match(jwksEtag, /^"[\w-]+"$/, 'JWKS has an ETag');
  const revalidated = await fetch(`${broker.url}/jwks`, { headers: { 'if-none-match': jwksEtag! } });
  t.equal(revalidated.status, 304, 'a verifier revalidating its cached JWKS gets 304');
  t.equal(await revalidated.text(), '');
  t.equal(revalidated.headers.get('cache-control'), 'public, max-age=60');
  const metaEtag = res.headers.get('etag');
  t.match(metaEtag, /^"[\w-]+"$/, 'discovery has an ETag');
  t.equal((await fetch(`${broker.url}/.well-known/openid-configuration`, { headers: { 'if-none-match': metaEtag! } })).status, 304);
  t.equal((await fetch(`${broker.url}/.well-known/openid-configuration`, { headers: { 'if-none-match': '"other"' } })).status, 200);

  const rows = await broker.deps.database.db.selectFrom('signing_keys').select(['kid', 'private_jwk_encrypted']).execute();
  t.equal(rows.length, 2);
  for (const row of rows) t.notMatch(row.private_jwk_encrypted, /"d"|"kty"/, 'private JWK stored encrypted');

  const demo = await broker.deps.clients.find('demo-diary');
  t.equal(demo?.name, 'Демонстрационный электронный дневник', 'config/clients.json seeded into the registry');
  t.match(demo?.secretHash, /^sha256:/);

  await t.test('every instance sees the same keys and signs with them', async (t) => {
    // A second provider on the same database stands for a second broker instance.
    const other = createOidcProvider({ ...broker.deps, signingKeys: createPostgresSigningKeyRepo(broker.deps.database.db), families: broker.deps.oidc.ctx.families });
    await other.ctx.keys.ensureKeys();
    t.same(await other.ctx.keys.publishedJwks(), jwks, 'no second set of keys is created');
    const token = await signJwt({ iss: broker.url, sub: 'x' }, await other.ctx.keys.signingKey('ES256'), 'JWT');
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks as never), { issuer: broker.url });
    t.equal(payload.sub, 'x');
  });

  await t.test('rotation publishes the new key before it signs and retires the old one later', async (t) => {
    const ring = broker.deps.oidc.ctx.keys;
    const before = await ring.signingKey('ES256');
    const kids = await ring.rotate({ activationDelaySeconds: 3600 });
    const published = (await ring.publishedJwks()).keys.map((k) => k.kid);
    for (const kid of kids) t.ok(published.includes(kid), 'new key published at once');
    t.ok(published.includes(before.kid), 'old key still published');
    t.equal((await ring.signingKey('ES256')).kid, before.kid, 'the old key signs until the new one activates');
    const token = await signJwt({ sub: 'y' }, await ring.signingKey('ES256'), 'JWT');
    t.equal(decodeProtectedHeader(token).kid, before.kid);
    const served = await fetch(`${broker.url}/jwks`);
    t.same(((await served.json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid), published, 'GET /jwks serves the rotated set at once');
    t.not(served.headers.get('etag'), jwksEtag, 'with a new ETag');
  });
});
