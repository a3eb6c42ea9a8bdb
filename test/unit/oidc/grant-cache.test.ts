import t from 'tap';
import { createGrantCache } from '../../../src/oidc/grant-cache.js';

// The grant cache's rules, on a hand-driven clock and feed: memory only while warm (a beat heard
// back within staleAfterMs), a heard change drops its entry, a load that overlapped a change is
// not kept, a gap or a lost feed forgets everything.
function setup() {
  let now = 1_000_000;
  const cache = createGrantCache({ now: () => now, staleAfterMs: 500, maxAgeMs: 60_000, maxEntries: 3 });
  let loads = 0;
  const value = { v: 'stored' };
  const load = async () => {
    loads++;
    return value;
  };
  return { cache, load, loads: () => loads, tick: (ms: number) => (now += ms), at: () => now };
}

t.test('cold until a beat is heard: every read loads', async (t) => {
  const { cache, load, loads } = setup();
  await cache.read('f:1', load);
  await cache.read('f:1', load);
  t.equal(loads(), 2);
  t.equal(cache.size, 0, 'nothing kept while cold');
});

t.test('warm: one load, then memory, until the beats stop for longer than the bound', async (t) => {
  const { cache, load, loads, tick, at } = setup();
  cache.heardUpTo(at());
  await cache.read('f:1', load);
  await cache.read('f:1', load);
  t.equal(loads(), 1, 'the second read came from memory');
  tick(501);
  t.notOk(cache.warm(), 'no beat for longer than staleAfterMs: cold');
  await cache.read('f:1', load);
  t.equal(loads(), 2, 'cold: read from the store again');
  cache.heardUpTo(at());
  t.equal(cache.size, 0, 'back from a gap: what was kept before it is forgotten');
});

t.test('a change heard drops its entry only', async (t) => {
  const { cache, load, loads, at } = setup();
  cache.heardUpTo(at());
  await cache.read('f:1', load);
  await cache.read('p:2', load);
  cache.changed('f:1');
  await cache.read('f:1', load);
  await cache.read('p:2', load);
  t.equal(loads(), 3, 'f:1 loaded again, p:2 still from memory');
});

t.test('a load that overlapped a change is answered but not kept', async (t) => {
  const { cache, at } = setup();
  cache.heardUpTo(at());
  let release!: () => void;
  const slow = cache.read('f:1', () => new Promise<string>((resolve) => (release = () => resolve('read before the change'))));
  cache.changed('f:1');
  release();
  t.equal(await slow, 'read before the change');
  t.equal(cache.size, 0, 'not kept: it may predate the change');
});

t.test('a lost feed forgets everything and is cold at once', async (t) => {
  const { cache, load, at } = setup();
  cache.heardUpTo(at());
  await cache.read('f:1', load);
  cache.lost();
  t.notOk(cache.warm());
  t.equal(cache.size, 0);
});

t.test('bounded: the oldest entry makes room', async (t) => {
  const { cache, load, loads, at } = setup();
  cache.heardUpTo(at());
  for (const key of ['a', 'b', 'c', 'd']) await cache.read(key, load);
  t.equal(cache.size, 3);
  await cache.read('a', load);
  t.equal(loads(), 5, 'a was dropped first');
});

t.test('forget and announce drop the entry in this process at once; announce tells the others', async (t) => {
  const told: string[] = [];
  const now = 0;
  const cache = createGrantCache({ now: () => now, staleAfterMs: 500, maxAgeMs: 60_000, maxEntries: 10, notify: async (key) => void told.push(key) });
  cache.heardUpTo(now);
  await cache.read('j:x', async () => false);
  await cache.announce('j:x');
  t.equal(cache.size, 0);
  t.same(told, ['j:x']);
});
