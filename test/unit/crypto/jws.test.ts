import { generateKeyPairSync, sign } from 'node:crypto';
import t from 'tap';
import { SignJWT, createLocalJWKSet, errors, exportJWK, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { signCompact, verificationKeys, verifyJwt, type JwsAlg } from '../../../src/crypto/jws.js';

// Our node:crypto JWS against jose, both ways, on random payloads; then every way a token
// must be refused (the checks jwtVerify made before).
const ISSUER = 'https://broker.example';
const now = new Date('2026-11-30T12:00:00Z');
const seconds = Math.floor(now.getTime() / 1000);

async function keyPair(alg: JwsAlg, kid: string) {
  const pair = alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, alg, privateKey: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig' } as JWK };
}

const es = await keyPair('ES256', 'es-1');
const rs = await keyPair('RS256', 'rs-1');
const jwks = [es.jwk, rs.jwk];
const keys = verificationKeys(jwks);
const options = { issuer: ISSUER, typ: 'at+jwt', algorithms: ['ES256', 'RS256'] as JwsAlg[], currentDate: now };
const claims = (extra: JWTPayload = {}): JWTPayload => ({ iss: ISSUER, sub: 'p-1', iat: seconds - 10, exp: seconds + 600, ...extra });

t.test('what we sign jose verifies, and what jose signs we verify (random payloads)', async (t) => {
  for (let i = 0; i < 50; i++) {
    for (const key of [es, rs]) {
      const payload = claims({ jti: crypto.randomUUID(), scope: 'openid diary', n: Math.random(), name: `Ёлкина ${i} \u2028 "q"` });
      const ours = signCompact({ alg: key.alg, kid: key.kid, typ: 'at+jwt' }, payload, key.alg, key.privateKey);
      const verified = await jwtVerify(ours, createLocalJWKSet({ keys: jwks }), { issuer: ISSUER, typ: 'at+jwt', currentDate: now });
      t.same(verified.payload, payload);
      const theirs = await new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' }).sign(key.privateKey);
      t.same(verifyJwt(theirs, keys, options), payload);
    }
  }
  t.end();
});

t.test('refused: expired, not yet valid, wrong issuer or typ, tampered, unknown key or algorithm', async (t) => {
  const make = (payload: JWTPayload, header: Record<string, unknown> = {}, key = es) => signCompact({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header }, payload, key.alg, key.privateKey);
  t.throws(() => verifyJwt(make(claims({ exp: seconds })), keys, options), errors.JWTExpired, 'exp = now is expired (as jose)');
  t.same(verifyJwt(make(claims({ exp: seconds + 1 })), keys, options).exp, seconds + 1);
  t.throws(() => verifyJwt(make(claims({ nbf: seconds + 5 })), keys, options), errors.JWTClaimValidationFailed);
  t.throws(() => verifyJwt(make(claims({ exp: '9999999999' as never })), keys, options), errors.JWTInvalid, 'a string exp');
  t.throws(() => verifyJwt(make(claims({ iss: 'https://evil.example' })), keys, options), errors.JWTClaimValidationFailed);
  t.throws(() => verifyJwt(make(claims(), { typ: 'JWT' }), keys, options), errors.JWTClaimValidationFailed, 'an id_token is not an access token');
  t.ok(verifyJwt(make(claims(), { typ: 'application/AT+JWT' }), keys, options), 'typ compared as jose does');
  t.throws(() => verifyJwt(make(claims(), { kid: 'unknown' }), keys, options), errors.JWKSNoMatchingKey);
  t.throws(() => verifyJwt(make(claims(), { crit: ['exp'] }), keys, options), errors.JWSInvalid);
  t.throws(() => verifyJwt(make(claims(), { b64: false }), keys, options), errors.JWSInvalid);

  const good = make(claims());
  const [h, p, s] = good.split('.') as [string, string, string];
  const otherPayload = Buffer.from(JSON.stringify(claims({ sub: 'p-2' }))).toString('base64url');
  t.throws(() => verifyJwt(`${h}.${otherPayload}.${s}`, keys, options), errors.JWSSignatureVerificationFailed, 'payload swapped');
  t.throws(() => verifyJwt(`${h}.${p}.${s.slice(0, -4)}AAAA`, keys, options), errors.JWSSignatureVerificationFailed);
  const der = sign('sha256', Buffer.from(`${h}.${p}`), es.privateKey).toString('base64url');
  t.throws(() => verifyJwt(`${h}.${p}.${der}`, keys, options), errors.JWSSignatureVerificationFailed, 'a DER ECDSA signature is not JWS');
  const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${p}.`;
  t.throws(() => verifyJwt(none, keys, options), errors.JOSEAlgNotAllowed, 'alg none');
  const hs = `${Buffer.from(JSON.stringify({ alg: 'HS256', kid: 'es-1', typ: 'at+jwt' })).toString('base64url')}.${p}.${s}`;
  t.throws(() => verifyJwt(hs, keys, options), errors.JOSEAlgNotAllowed, 'HS256 with our public key as the secret');
  const rsHeaderOnEsKey = make(claims(), { alg: 'RS256', kid: 'es-1' }, es);
  t.throws(() => verifyJwt(rsHeaderOnEsKey, keys, options), errors.JWKSNoMatchingKey, 'alg must match the key');
  t.throws(() => verifyJwt(`${h}.${p}`, keys, options), errors.JWSInvalid);
  t.throws(() => verifyJwt(make('not json' as never), keys, options), errors.JWSInvalid, 'a signed payload that is not a JSON object');
  t.throws(() => verifyJwt(`e30.${p}.${s}`, keys, { ...options }), errors.JOSEAlgNotAllowed, 'empty header');
  t.end();
});
