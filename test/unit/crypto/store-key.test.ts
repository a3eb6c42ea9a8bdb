import t from 'tap';
import { createHash } from 'node:crypto';
import { createLinkRateLimiter, DEFAULT_LINK_LIMITS } from '../../../src/accounts/rate-limit.js';
import { createAdminSessions } from '../../../src/admin/admin-sessions.js';
import { createStoreKeyHash } from '../../../src/crypto/store-key.js';
import { createFailureLimit } from '../../../src/oidc/token/failure-limit.js';
import { createMemoryStateStore } from '../../../src/store/memory/memory-state-store.js';
import type { StateStore } from '../../../src/store/state-store.js';

// Rate-limit and lockout keys are built from an ESIA oid, a diary login or an address. A plain
// SHA-256 of a 10-digit oid or an IPv4 address is undone by trying every value, so each key
// the broker actually writes must hold neither the value nor its plain hash in any encoding.
const SECRET = 'test-snils-hmac-key-0123456789abcdef';
const OID = '1000123456';
const LOGIN = 'ivanova.m';
const IP = '203.0.113.7';
const CLIENT = 'diary';

/** Every key the code under test counts on, as it passes them to the store. */
function recording(): { store: StateStore; keys: string[] } {
  const store = createMemoryStateStore();
  const keys: string[] = [];
  return {
    keys,
    store: {
      ...store,
      incrementAllBelow: (counters) => {
        keys.push(...counters.map((c) => c.key));
        return store.incrementAllBelow(counters);
      },
    },
  };
}

async function keysWritten(secret: string): Promise<Record<'link' | 'admin' | 'token', string[]>> {
  const storeKey = createStoreKeyHash(secret);
  const link = recording();
  const reserved = await createLinkRateLimiter(link.store, storeKey, DEFAULT_LINK_LIMITS).reserve({ esiaOid: OID, login: LOGIN, ip: IP });
  if (reserved.granted) await reserved.fail();
  const admin = recording();
  await createAdminSessions(admin.store, { adminToken: 'a'.repeat(32), ttlMs: 60_000, storeKey }).login('wrong', IP);
  const token = recording();
  const failureLimit = createFailureLimit({ state: token.store, now: () => 1_790_000_000_000, storeKey, limit: 30 });
  await failureLimit.run(`${CLIENT}@${IP}`, async () => 'answered');
  await failureLimit.close();
  return { link: link.keys, admin: admin.keys, token: token.keys };
}

const plainHashes = (value: string) => {
  const digest = createHash('sha256').update(value).digest();
  return [digest.toString('hex'), digest.toString('base64url'), digest.toString('base64')];
};

t.test('limiter and lockout keys hold neither the value nor its plain SHA-256', async (t) => {
  const written = await keysWritten(SECRET);
  t.equal(written.link.length, 4, 'the manual-link limiter counts four keys');
  t.equal(written.admin.length, 1, 'the admin login lockout one');
  t.equal(written.token.length, 1, 'the token endpoint limit one');
  const all = [...written.link, ...written.admin, ...written.token];
  // The values the keys are built from, as the limiters hash them (the token limit: client and address together).
  const values = [OID, LOGIN, IP, `${CLIENT}@${IP}`];
  for (const key of all) {
    for (const value of values) {
      t.notOk(key.includes(value), `${key.split(':').slice(0, 3).join(':')} does not hold ${value}`);
      for (const hash of plainHashes(value)) t.notOk(key.includes(hash), `nor its plain SHA-256`);
    }
    t.notOk(key.includes('203.0.113'), 'no part of the address');
  }
});

t.test('the keyed hash is the same on every instance and changes with the secret', async (t) => {
  const first = await keysWritten(SECRET);
  t.same(await keysWritten(SECRET), first, 'one secret, one key per value: instances share counters');
  const other = await keysWritten('another-secret-of-at-least-16');
  for (const family of ['link', 'admin', 'token'] as const) {
    t.same(other[family].filter((k) => first[family].includes(k)), [], `${family}: another secret, other keys`);
  }
});
