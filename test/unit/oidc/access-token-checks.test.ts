import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { signCompact, type VerificationKey } from '../../../src/crypto/jws.js';
import { verifyAccessToken } from '../../../src/oidc/access-tokens.js';
import type { OidcContext } from '../../../src/oidc/context.js';
import { noGrantCache } from '../../../src/oidc/grant-cache.js';
import type { Family } from '../../../src/oidc/refresh-tokens.js';

// A token whose signature checked out once is not verified again while the key set stays the
// same, but its expiry is checked at every use, and a new key set (a key withdrawn) checks afresh.
const ISSUER = 'https://broker.example';
const pair = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signer = pair();
let keys: VerificationKey[] = [{ kid: 'k1', alg: 'ES256', key: signer.publicKey }];
let now = 1_800_000_000_000;
const family: Family = {
  id: 'fam',
  clientId: 'diary',
  profileId: 'p1',
  esiaOid: '1000',
  level: 'trusted' as Family['level'],
  authTime: now / 1000,
  scope: ['openid'],
  resource: [],
  sessionSid: undefined,
  expiresAt: new Date(now + 3600_000),
  revokedAt: null,
  revokedReason: null,
  dpopJkt: undefined,
};
const ctx = {
  issuer: ISSUER,
  now: () => now,
  keys: { verificationKeys: async () => keys },
  state: { get: async () => null },
  families: { findFamily: async () => family },
  grantCache: noGrantCache,
  grantStanding: undefined,
} as unknown as OidcContext;

/** What verifyAccessToken says: 'accepted', or the refusal's description. */
const outcome = (checking: Promise<unknown>) => checking.then(
  () => 'accepted',
  (error: { description?: string }) => error.description,
);
const seconds = () => Math.floor(now / 1000);
const token = signCompact(
  { alg: 'ES256', typ: 'at+jwt', kid: 'k1' },
  { iss: ISSUER, sub: 'p1', aud: 'diary', client_id: 'diary', exp: seconds() + 60, iat: seconds(), jti: 'fam.x', scope: 'openid', auth_time: seconds(), acr: 'x' },
  'ES256',
  signer.privateKey,
);

t.test('checked once, expiry checked at every use', async (t) => {
  t.equal((await verifyAccessToken(ctx, token)).sub, 'p1');
  t.equal((await verifyAccessToken(ctx, token)).sub, 'p1', 'again: from what was checked');
  now += 61_000;
  t.equal(await outcome(verifyAccessToken(ctx, token)), 'the access token has expired');
  now -= 61_000;
});

t.test('a tampered copy is refused, and a new key set checks afresh', async (t) => {
  const [h, p, s] = token.split('.');
  const tampered = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), sub: 'p2' })).toString('base64url')}.${s}`;
  t.equal(await outcome(verifyAccessToken(ctx, tampered)), 'the access token is not valid');
  keys = [{ kid: 'k1', alg: 'ES256', key: pair().publicKey }];
  t.equal(await outcome(verifyAccessToken(ctx, token)), 'the access token is not valid', 'its key withdrawn: refused, though it was accepted before');
});
