import t from 'tap';
import { createSealer } from '../../../src/crypto/key-encryption.js';
import { createKeyRing, type SigningKeyRecord, type SigningKeyRepo } from '../../../src/oidc/signing-keys.js';

// What GET /jwks serves, on a hand-driven clock and an in-memory store: the serialised set is
// at hand (no promise, no store read) only while it still holds; a rotation, a stale key cache
// or a retired key reaching its unpublishAt all make the next read rebuild it.
function setup(cacheSeconds = 3600) {
  let now = Date.UTC(2026, 0, 1);
  let lists = 0;
  const rows: SigningKeyRecord[] = [];
  const repo: SigningKeyRepo = {
    async list() {
      lists++;
      return rows.map((r) => ({ ...r }));
    },
    async insert(record) {
      rows.push(record);
    },
    async retire(kids, retiredAt, unpublishAt) {
      for (const row of rows) if (kids.includes(row.kid)) Object.assign(row, { retiredAt, unpublishAt });
    },
  };
  const ring = createKeyRing({ repo, sealer: createSealer('test-key-encryption-key-0123456789', 'signing-keys'), now: () => now, activationDelaySeconds: 60, cacheSeconds, maxTokenLifetimeSeconds: 600 });
  return { ring, tick: (ms: number) => (now += ms), lists: () => lists };
}

const kids = (body: Buffer) => (JSON.parse(body.toString()) as { keys: { kid: string }[] }).keys.map((k) => k.kid).sort();

t.test('at hand once serialised, the same body, until a rotation', async (t) => {
  const { ring, lists } = setup();
  await ring.ensureKeys();
  t.equal(ring.publishedBodyAtHand(), undefined, 'not serialised yet');
  const first = await ring.publishedBody();
  t.equal(kids(first.body).length, 2);
  t.equal(ring.publishedBodyAtHand(), first, 'then at hand');
  const reads = lists();
  for (let i = 0; i < 5; i++) t.equal(ring.publishedBodyAtHand(), first);
  t.equal(lists(), reads, 'no store read');

  await ring.rotate({ activationDelaySeconds: 60 });
  t.equal(ring.publishedBodyAtHand(), undefined, 'a rotation drops it');
  const rotated = await ring.publishedBody();
  t.equal(kids(rotated.body).length, 4, 'new keys published next to the old');
  t.not(rotated.etag, first.etag);
  t.equal(ring.publishedBodyAtHand(), rotated);
});

t.test('a retired key leaves at its unpublishAt, the key cache still fresh', async (t) => {
  const { ring, tick, lists } = setup();
  await ring.ensureKeys();
  const old = kids((await ring.publishedBody()).body);
  await ring.rotate({ activationDelaySeconds: 60 });
  const both = await ring.publishedBody();
  tick(60_000 + (600 + 60) * 1000 - 1);
  t.equal(ring.publishedBodyAtHand(), both, 'a millisecond before, still published');
  tick(1);
  t.equal(ring.publishedBodyAtHand(), undefined, 'due: not at hand');
  const reads = lists();
  const after = await ring.publishedBody();
  t.equal(lists(), reads, 'rebuilt from the cached rows');
  t.equal(kids(after.body).length, 2);
  t.notOk(kids(after.body).some((kid) => old.includes(kid)), 'the old keys are gone');
  t.equal(ring.publishedBodyAtHand(), after);
});

t.test('a stale key cache: not at hand, the next read goes to the store', async (t) => {
  const { ring, tick, lists } = setup(30);
  await ring.ensureKeys();
  const first = await ring.publishedBody();
  tick(30_001);
  t.equal(ring.publishedBodyAtHand(), undefined);
  const reads = lists();
  t.same(kids((await ring.publishedBody()).body), kids(first.body));
  t.equal(lists(), reads + 1, 'reloaded');
});

t.test('a reload that finds the same keys keeps what was derived from them', async (t) => {
  const { ring, tick, lists } = setup(30);
  await ring.ensureKeys();
  const verify = await ring.verificationKeys();
  const first = await ring.publishedBody();
  tick(30_001);
  const reads = lists();
  t.equal(await ring.verificationKeys(), verify, 'the same verification keys: the checked-token memory, keyed on them, holds');
  t.equal(lists(), reads + 1, 'reloaded from the store');
  t.equal(await ring.publishedBody(), first, 'the same serialised body');

  await ring.rotate({ activationDelaySeconds: 60 });
  t.not(await ring.verificationKeys(), verify, 'a rotation makes new ones');
});
