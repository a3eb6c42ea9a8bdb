import t from 'tap';
import { readFileSync } from 'node:fs';
import { generateRsaKeyPair } from '../../../src/esia/dev-keys.js';
import { EsiaError } from '../../../src/esia/errors.js';
import { createIdTokenVerifier } from '../../../src/esia/id-token.js';
import { signJwt, type TokenKeys } from '../../../src/emulator/tokens.js';
import { sharedDevKeys, testOpenssl } from '../../helpers/emulator.js';

const openssl = testOpenssl();
const paths = await sharedDevKeys();
const keys: TokenKeys = {
  rsaKeyPem: readFileSync(paths.esiaRsaKey, 'utf8'),
  rsaCertPem: readFileSync(paths.esiaRsaCert, 'utf8'),
  gostKeyFile: paths.esiaGostKey,
  gostCertPem: readFileSync(paths.esiaGostCert, 'utf8'),
};
const now = 1_760_000_000;
const header = { ver: 0, typ: 'JWT', sbt: 'id' };
// A published ESIA id_token (docs/esia-protocol.md §6), times moved to `now`.
const sample = {
  aud: 'MNEMONIC', sub: 1000000001, nbf: now, iat: now, exp: now + 10800, amr: 'PWD', 'urn:esia:amd': 'PWD', auth_time: now,
  iss: 'http://esia.gosuslugi.ru/', 'urn:esia:sid': 'fd0b5333-0000',
  'urn:esia:sbj': { 'urn:esia:sbj:typ': 'P', 'urn:esia:sbj:is_tru': true, 'urn:esia:sbj:oid': 1000000001, 'urn:esia:sbj:nam': 'OID.1000000001' },
};
const verifier = (algs: Array<'RS256' | 'GOST3410_2012_256'>, certificatesPem = keys.rsaCertPem + keys.gostCertPem) =>
  createIdTokenVerifier({ certificatesPem, algs, issuer: 'http://esia.gosuslugi.ru/', clientId: 'MNEMONIC', leewaySec: 60, openssl, now: () => now * 1000 });

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof EsiaError && error.failure === 'bad_response') return error.detail;
    throw error;
  }
  throw new Error('expected a refusal');
}

t.test('RS256 and GOST id_tokens verify and yield the claims', async (t) => {
  const both = await verifier(['RS256', 'GOST3410_2012_256']);
  for (const alg of ['RS256', 'GOST3410_2012_256'] as const) {
    const claims = await both.verify(await signJwt(openssl, keys, alg, header, sample));
    t.same(claims, { oid: '1000000001', authTime: now, sessionId: 'fd0b5333-0000', trusted: true, lvl: undefined }, alg);
  }
  const kid = await both.verify(await signJwt(openssl, keys, 'RS256', header, { ...sample, sub: '1000000005', 'urn:esia:sbj': { 'urn:esia:sbj:oid': 1000000005, 'urn:esia:sbj:lvl': 'KD' } }));
  t.match(kid, { oid: '1000000005', trusted: false, lvl: 'KD' });
});

t.test('an alg that is not configured is refused, whatever the signature', async (t) => {
  const rsaOnly = await verifier(['RS256']);
  t.match(await refusal(rsaOnly.verify(await signJwt(openssl, keys, 'GOST3410_2012_256', header, sample))), /alg GOST3410_2012_256 is not configured/);
  const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(JSON.stringify(sample)).toString('base64url')}.`;
  t.match(await refusal(rsaOnly.verify(unsigned)), /alg none is not configured/);
  const hs = `${Buffer.from(JSON.stringify({ alg: 'HS256' })).toString('base64url')}.${Buffer.from(JSON.stringify(sample)).toString('base64url')}.c2ln`;
  t.match(await refusal(rsaOnly.verify(hs)), /alg HS256/);
  await t.rejects(verifier(['GOST3410_2012_256'], keys.rsaCertPem), /no certificate for GOST3410_2012_256/, 'config error at startup');
});

t.test('a token signed by another key (ESIA rotated) is refused; the new certificate next to the old one works', async (t) => {
  const rotated = await generateRsaKeyPair(openssl, '/CN=rotated');
  const token = await signJwt(openssl, { ...keys, rsaKeyPem: rotated.key }, 'RS256', header, sample);
  t.match(await refusal((await verifier(['RS256'])).verify(token)), /signature does not verify/);
  t.same((await (await verifier(['RS256'], keys.rsaCertPem + rotated.cert)).verify(token)).oid, '1000000001');
  const tampered = (await signJwt(openssl, keys, 'GOST3410_2012_256', header, sample)).replace(/\.[^.]+\./, `.${Buffer.from(JSON.stringify({ ...sample, sub: 2 })).toString('base64url')}.`);
  t.match(await refusal((await verifier(['GOST3410_2012_256'])).verify(tampered)), /signature does not verify/);
});

t.test('claims: iss exactly (http, trailing slash), aud, exp and nbf with leeway, sub = sbj oid', async (t) => {
  const v = await verifier(['RS256']);
  const sign = (claims: Record<string, unknown>) => signJwt(openssl, keys, 'RS256', header, { ...sample, ...claims });
  t.match(await refusal(v.verify(await sign({ iss: 'https://esia.gosuslugi.ru/' }))), /iss mismatch/);
  t.match(await refusal(v.verify(await sign({ iss: 'http://esia.gosuslugi.ru' }))), /iss mismatch/);
  t.match(await refusal(v.verify(await sign({ aud: 'OTHER' }))), /aud mismatch/);
  t.equal((await v.verify(await sign({ aud: ['OTHER', 'MNEMONIC'] }))).oid, '1000000001');
  t.match(await refusal(v.verify(await sign({ exp: now - 61 }))), /expired/);
  t.equal((await v.verify(await sign({ exp: now - 59 }))).oid, '1000000001', 'within the leeway');
  t.match(await refusal(v.verify(await sign({ nbf: now + 61 }))), /not yet valid/);
  t.match(await refusal(v.verify(await sign({ 'urn:esia:sbj': { 'urn:esia:sbj:oid': 42 } }))), /differ/);
  t.match(await refusal(v.verify(await sign({ sub: undefined }))), /malformed/);
  t.match(await refusal(v.verify('a.b')), /compact/);
});
