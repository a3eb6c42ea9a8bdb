import type { Test } from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StateStore } from '../../src/store/state-store.js';

/**
 * The one state-store contract every backend passes: the in-process store, a single Redis
 * (state-store.contract.test.ts) and a Redis Cluster (redis-cluster.test.ts). The caller opens
 * and closes the store.
 */
export function stateStoreContract(t: Test, store: StateStore): void {
  t.test('put, get, delete', async (t) => {
    await store.put('a', 'one', 10_000);
    t.equal(await store.get('a'), 'one');
    await store.put('a', 'two', 10_000);
    t.equal(await store.get('a'), 'two', 'put replaces');
    await store.delete('a');
    t.equal(await store.get('a'), null);
  });

  t.test('putMany stores every entry with its own TTL, whatever slots the keys hash to', async (t) => {
    await store.put('many-b', 'old', 10_000);
    // Plain keys of different slots (on a cluster, different nodes) and two sharing a tag.
    const entries = [
      { key: 'many-a', value: 'one', ttlMs: 10_000 },
      { key: 'many-b', value: 'two', ttlMs: 600 },
      { key: '{many}:c', value: 'три', ttlMs: 10_000 },
      { key: '{many}:d', value: 'four', ttlMs: 10_000 },
    ];
    await store.putMany(entries);
    for (const { key, value } of entries) t.equal(await store.get(key), value, `${key} stored`);
    const short = await store.ttl('many-b');
    t.ok(short !== null && short > 0 && short <= 600, 'an earlier value replaced, with the new TTL');
    const long = await store.ttl('many-a');
    t.ok(long !== null && long > 600 && long <= 10_000, 'each entry has its own TTL');
    await t.resolves(store.putMany([]), 'nothing to store');
    await sleep(900);
    t.equal(await store.get('many-b'), null, 'gone after its TTL');
    t.equal(await store.get('many-a'), 'one', 'the others stay');
    for (const { key } of entries) await store.delete(key);
  });

  t.test('values expire after their TTL', async (t) => {
    // Windows wide enough that a loaded CI machine does not blur them.
    await store.put('short', 'x', 600);
    t.equal(await store.get('short'), 'x');
    const ttl = await store.ttl('short');
    t.ok(ttl !== null && ttl > 0 && ttl <= 600, 'ttl reported');
    await sleep(900);
    t.equal(await store.get('short'), null, 'gone after TTL');
    t.equal(await store.take('short'), null, 'cannot be taken after TTL');
    t.equal(await store.ttl('short'), null);
  });

  t.test('takeIfFields, one field: taken only when it is one of the values allowed, the value back either way', async (t) => {
    const value = JSON.stringify({ interactionId: 'i-2', other: 'x' });
    t.equal(await store.takeIfFields('bound', { interactionId: ['i-2'] }), null, 'absent: null');
    await store.put('bound', value, 10_000);
    t.same(await store.takeIfFields('bound', { interactionId: ['i-1', 'i-3'] }), { value, taken: false }, 'no candidate matches');
    t.same(await store.takeIfFields('bound', { interactionId: [] }), { value, taken: false }, 'no candidates');
    t.same(await store.takeIfFields('bound', { other: ['i-2'] }), { value, taken: false }, 'another field');
    t.same(await store.takeIfFields('bound', { missing: ['i-2'] }), { value, taken: false }, 'an absent field');
    t.equal(await store.get('bound'), value, 'still there');
    t.same(await store.takeIfFields('bound', { interactionId: ['i-1', 'i-2'] }), { value, taken: true }, 'one candidate matches');
    t.equal(await store.get('bound'), null, 'gone');
    for (const odd of ['not json', '[1]', '{"interactionId":2}', 'null']) {
      await store.put('odd', odd, 10_000);
      t.same(await store.takeIfFields('odd', { interactionId: ['2'] }), { value: odd, taken: false }, `${odd}: not taken`);
    }
    await store.put('cyrillic', JSON.stringify({ interactionId: 'и', name: 'Иванов' }), 10_000);
    t.same(await store.takeIfFields('cyrillic', { interactionId: ['и'] }), { value: JSON.stringify({ interactionId: 'и', name: 'Иванов' }), taken: true }, 'UTF-8 kept');
  });

  t.test('takeIfFields, one field: of 50 concurrent takers exactly one takes it', async (t) => {
    const value = JSON.stringify({ interactionId: 'i' });
    await store.put('race', value, 10_000);
    const answers = await Promise.all(Array.from({ length: 50 }, () => store.takeIfFields('race', { interactionId: ['i'] })));
    t.equal(answers.filter((a) => a?.taken).length, 1, 'one taker');
    t.ok(answers.every((a) => a === null || a.value === value), 'the others saw it or nothing');
    t.equal(await store.get('race'), null);
  });

  t.test('takeIfFields, several fields: taken only when every one matches, the value back either way', async (t) => {
    const value = JSON.stringify({ clientId: 'diary', redirectUri: 'https://diary.example/cb', n: 1 });
    const own = { clientId: 'diary', redirectUri: 'https://diary.example/cb' };
    /** Each field allowed exactly the value given. */
    const one = (fields: Record<string, string>) => Object.fromEntries(Object.entries(fields).map(([field, wanted]) => [field, [wanted]]));
    t.equal(await store.takeIfFields('grant', one(own)), null, 'absent: null');
    await store.put('grant', value, 10_000);
    t.same(await store.takeIfFields('grant', one({ ...own, clientId: 'other' })), { value, taken: false }, 'one field differs');
    t.same(await store.takeIfFields('grant', one({ ...own, redirectUri: 'https://evil.example/cb' })), { value, taken: false }, 'the other differs');
    t.same(await store.takeIfFields('grant', one({ ...own, missing: 'x' })), { value, taken: false }, 'an absent field');
    t.same(await store.takeIfFields('grant', { n: ['1'] }), { value, taken: false }, 'a number is not its string');
    t.equal(await store.get('grant'), value, 'still there');
    await t.rejects(store.takeIfFields('grant', {}), /at least one field/, 'no field to match: refused');
    t.equal(await store.get('grant'), value, 'and left alone');
    t.same(await store.takeIfFields('grant', { clientId: ['other', 'diary'], redirectUri: ['https://evil.example/cb'] }), { value, taken: false }, 'one field among several allowed, the other not');
    t.equal(await store.get('grant'), value, 'still there');
    t.same(await store.takeIfFields('grant', { clientId: ['other', 'diary'], redirectUri: ['https://diary.example/cb', 'x'] }), { value, taken: true }, 'every field one of its allowed values');
    t.equal(await store.get('grant'), null, 'gone');
    for (const odd of ['not json', '["diary"]', '{"clientId":["diary"]}', 'null']) {
      await store.put('odd', odd, 10_000);
      t.same(await store.takeIfFields('odd', { clientId: ['diary'] }), { value: odd, taken: false }, `${odd}: not taken`);
    }
    const cyrillic = JSON.stringify({ clientId: 'дневник', name: 'Иванов' });
    await store.put('cyrillic', cyrillic, 10_000);
    t.same(await store.takeIfFields('cyrillic', { clientId: ['дневник'] }), { value: cyrillic, taken: true }, 'UTF-8 kept');
  });

  t.test('takeIfFields, several fields: of 50 concurrent takers exactly one takes it', async (t) => {
    const value = JSON.stringify({ clientId: 'diary', redirectUri: 'r' });
    await store.put('grant-race', value, 10_000);
    const answers = await Promise.all(Array.from({ length: 50 }, () => store.takeIfFields('grant-race', { clientId: ['diary'], redirectUri: ['r'] })));
    t.equal(answers.filter((a) => a?.taken).length, 1, 'one taker');
    t.ok(answers.every((a) => a === null || a.value === value), 'the others saw it or nothing');
    t.equal(await store.get('grant-race'), null);
  });

  t.test('addToRecent: appends, moves a member already in to the end, keeps the last max, restarts the TTL', async (t) => {
    const list = async () => JSON.parse((await store.get('recent')) ?? 'null') as unknown;
    t.equal(await store.addToRecent('recent', 'a', 3, 600), 1);
    t.same(await list(), ['a'], 'a new key holds the one member');
    await store.addToRecent('recent', 'b', 3, 600);
    await store.addToRecent('recent', 'c', 3, 600);
    t.equal(await store.addToRecent('recent', 'a', 3, 600), 3, 'no duplicate');
    t.same(await list(), ['b', 'c', 'a'], 'moved to the end');
    t.equal(await store.addToRecent('recent', 'д/é', 3, 10_000), 3);
    t.same(await list(), ['c', 'a', 'д/é'], 'the oldest dropped past max; UTF-8 and / kept');
    const ttl = await store.ttl('recent');
    t.ok(ttl !== null && ttl > 600 && ttl <= 10_000, 'the TTL starts afresh');
    for (const odd of ['not json', '{"a":1}', '[1,"x",null]']) {
      await store.put('recent-odd', odd, 10_000);
      await store.addToRecent('recent-odd', 'y', 3, 10_000);
      t.same(JSON.parse((await store.get('recent-odd'))!), odd.startsWith('[') ? ['x', 'y'] : ['y'], `${odd}: only its strings kept`);
    }
    await store.delete('recent');
    await store.delete('recent-odd');
  });

  t.test('addToRecent: of 30 concurrent adders every one lands', async (t) => {
    const members = Array.from({ length: 30 }, (_, i) => `m${i}`);
    await Promise.all(members.map((m) => store.addToRecent('recent-race', m, 50, 10_000)));
    t.same((JSON.parse((await store.get('recent-race'))!) as string[]).sort(), [...members].sort());
    await store.delete('recent-race');
  });

  t.test('take-once: of 50 concurrent takers exactly one wins', async (t) => {
    for (let round = 0; round < 3; round++) {
      await store.put(`code-${round}`, `value-${round}`, 10_000);
      const results = await Promise.all(Array.from({ length: 50 }, () => store.take(`code-${round}`)));
      const winners = results.filter((r) => r !== null);
      t.same(winners, [`value-${round}`], `round ${round}: one winner with the value`);
      t.equal(await store.get(`code-${round}`), null, 'nothing left behind');
    }
  });

  t.test('putIfAbsent stores once', async (t) => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.putIfAbsent('jti', String(i), 10_000)));
    t.equal(results.filter(Boolean).length, 1, 'exactly one writer');
    t.equal(await store.putIfAbsent('jti', 'again', 10_000), false);
  });

  t.test('counters count within a window that starts at the first hit', async (t) => {
    const counts = await Promise.all(Array.from({ length: 10 }, () => store.increment('hits', 1200)));
    t.same([...counts].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'atomic increments');
    await sleep(500);
    t.equal(await store.increment('hits', 1200), 11, 'later hits do not extend the window');
    await sleep(800); // past the first hit's window, inside the one the 11th hit would have opened
    t.equal(await store.increment('hits', 1200), 1, 'a new window after expiry');
  });

  t.test('incrementAllBelow: of 50 concurrent callers exactly the limit count, on every key or none', async (t) => {
    const counters = [
      { key: '{bounded}:a', limit: 5, windowMs: 10_000 },
      { key: '{bounded}:b', limit: 8, windowMs: 10_000 },
    ];
    const results = await Promise.all(Array.from({ length: 50 }, () => store.incrementAllBelow(counters)));
    const counted = results.filter((r) => r.counted);
    t.equal(counted.length, 5, 'five counted');
    t.same(counted.map((r) => (r.counted ? r.counts[0] : 0)).sort(), [1, 2, 3, 4, 5]);
    t.ok(results.every((r) => r.counted || r.full === 0), 'the others name the full counter');
    t.equal(await store.get('{bounded}:a'), '5', 'never past its limit');
    t.equal(await store.get('{bounded}:b'), '5', 'the other key moved only with counted calls');
    const ttl = await store.ttl('{bounded}:b');
    t.ok(ttl !== null && ttl > 0 && ttl <= 10_000, 'a first count starts the window');
    t.same(await store.incrementAllBelow([{ key: '{bounded}:c', limit: 3, windowMs: 10_000 }, counters[0]!]), { counted: false, full: 1 });
    t.equal(await store.get('{bounded}:c'), null, 'a refused call leaves no key behind');
  });

  t.test('decrement takes one back, keeps the window, and drops the key at zero', async (t) => {
    await store.increment('down', 1000);
    await store.increment('down', 1000);
    await store.decrement('down');
    t.equal(await store.get('down'), '1');
    const ttl = await store.ttl('down');
    t.ok(ttl !== null && ttl > 0 && ttl <= 1000, 'the window is kept');
    await store.decrement('down');
    t.equal(await store.get('down'), null, 'gone at zero');
    await store.decrement('down');
    t.equal(await store.get('down'), null, 'an absent key stays absent');
    t.equal(await store.increment('down', 1000), 1);
  });

  t.test('ping answers', async (t) => {
    await t.resolves(store.ping());
  });

  t.test('incrementAllBelow refuses keys of different slots and counts nothing', async (t) => {
    await t.rejects(store.incrementAllBelow([{ key: 'slot-a', limit: 5, windowMs: 10_000 }, { key: 'slot-b', limit: 5, windowMs: 10_000 }]), /hash tag/);
    t.equal(await store.get('slot-a'), null);
    t.equal(await store.get('slot-b'), null);
  });
}
