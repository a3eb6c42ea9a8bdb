import t from 'tap';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateGostKeyPair } from '../../../src/esia/dev-keys.js';
import { encodeSignature, esiaTimestamp, v1SignedString } from '../../../src/esia/protocol.js';
import { createSigner } from '../../../src/esia/signers.js';
import { ALL_TEST_SCOPES, Browser, passEsia, scratchDir, sharedDevKeys, startTestEmulator, testOpenssl } from '../../helpers/emulator.js';

// Legacy v1 (/aas/oauth2/ac, /te): the emulator verifies the detached CMS cryptographically
// (openssl cms -verify against the registered certificates only), so a CMS that merely parses
// is not enough: one flipped signature byte, another signed string or another signer is 007053.
const keys = await sharedDevKeys();
const openssl = testOpenssl();
const signer = createSigner({ kind: 'openssl', keyFile: keys.clientKey, certFile: keys.clientCert, keyPassphrase: undefined, certHash: undefined }, { openssl, timeoutMs: 5000 });
const dir = scratchDir();
const stranger = await generateGostKeyPair(openssl, '/CN=not registered');
writeFileSync(join(dir, 'stranger-key.pem'), stranger.key);
writeFileSync(join(dir, 'stranger-cert.pem'), stranger.cert);
const strangerSigner = createSigner({ kind: 'openssl', keyFile: join(dir, 'stranger-key.pem'), certFile: join(dir, 'stranger-cert.pem'), keyPassphrase: undefined, certHash: undefined }, { openssl, timeoutMs: 5000 });
const emulator = await startTestEmulator();
t.teardown(() => emulator.close());
const REDIRECT = 'https://rp.example.ru/esia/callback';
await emulator.registerClient({ clientId: 'RP1', redirectUris: [REDIRECT], certificates: [readFileSync(keys.clientCert, 'utf8')], scopes: ALL_TEST_SCOPES, tokenAlg: 'RS256' });

type Forge = (cms: Buffer) => Buffer;
const flipLastByte: Forge = (cms) => {
  const copy = Buffer.from(cms);
  copy[copy.length - 1] = copy[copy.length - 1]! ^ 0x01; // the signature value ends the SignerInfo (-noattr)
  return copy;
};

async function acUrl(options: { forge?: Forge; signText?: string; by?: typeof signer } = {}): Promise<string> {
  const p = { clientId: 'RP1', scope: 'openid fullname', timestamp: esiaTimestamp(new Date()), state: randomUUID(), redirectUri: REDIRECT };
  const cms = await (options.by ?? signer).signCms(Buffer.from(options.signText ?? v1SignedString(p)));
  const secret = encodeSignature((options.forge ?? ((c) => c))(cms), 'base64url-padded');
  const params = new URLSearchParams({ client_id: p.clientId, client_secret: secret, redirect_uri: REDIRECT, scope: p.scope, response_type: 'code', state: p.state, timestamp: p.timestamp, access_type: 'online' });
  return `${emulator.url}/aas/oauth2/ac?${params}`;
}

async function refusal(url: string): Promise<string | null> {
  const response = await fetch(url, { redirect: 'manual' });
  const location = new URL(response.headers.get('location') ?? '', emulator.url);
  return location.searchParams.get('error_description');
}

t.test('/ac: the genuine CMS passes; tampered, other-string and unregistered-signer CMS get ESIA-007053', async (t) => {
  t.equal(await refusal(await acUrl()), null, 'genuine: on to the login page');
  t.match(await refusal(await acUrl({ forge: flipLastByte })), /^ESIA-007053/, 'one flipped bit of the signature value');
  t.match(await refusal(await acUrl({ signText: 'openid fullname2020.01.01 00:00:00 +0000RP1' + randomUUID() })), /^ESIA-007053/, 'a valid CMS over another string');
  t.match(await refusal(await acUrl({ by: strangerSigner })), /^ESIA-007053/, 'a valid CMS by a certificate not registered for the system (its own certificate inside is not trusted)');
  t.match(await refusal(await acUrl({ forge: (cms) => cms.subarray(0, cms.length - 10) })), /^ESIA-007053/, 'a truncated CMS');
});

t.test('/te: the same CMS check on the token request', async (t) => {
  const back = new URL((await passEsia(new Browser(), await acUrl(), { oid: '1000000102', callbackPrefix: 'https://rp.example.ru/' })).callbackUrl);
  const code = back.searchParams.get('code') ?? '';
  const p = { clientId: 'RP1', scope: 'openid fullname', timestamp: esiaTimestamp(new Date()), state: randomUUID(), redirectUri: REDIRECT };
  const body = (secret: Buffer) =>
    new URLSearchParams({ client_id: p.clientId, code, grant_type: 'authorization_code', redirect_uri: REDIRECT, scope: p.scope, state: p.state, timestamp: p.timestamp, token_type: 'Bearer', client_secret: encodeSignature(secret, 'base64url') }).toString();
  const post = (secret: Buffer) => fetch(`${emulator.url}/aas/oauth2/te`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: body(secret) });
  const cms = await signer.signCms(Buffer.from(v1SignedString(p)));
  const tampered = await post(flipLastByte(cms));
  t.equal(tampered.status, 400);
  t.match(await tampered.json(), { error_description: /^ESIA-007053/, state: p.state });
  const genuine = await post(cms);
  t.equal(genuine.status, 200, 'the code was not used up by the refused request');
  t.ok(((await genuine.json()) as Record<string, string>)['id_token']);
});
