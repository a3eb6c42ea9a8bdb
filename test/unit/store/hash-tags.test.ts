import t from 'tap';
import { createRequire } from 'node:module';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createStoreKeyHash } from '../../../src/crypto/store-key.js';
import { createLinkRateLimiter, DEFAULT_LINK_LIMITS } from '../../../src/accounts/rate-limit.js';
import { createAdminSessions } from '../../../src/admin/admin-sessions.js';
import { createFailureLimit } from '../../../src/oidc/token/failure-limit.js';
import { createMemoryStateStore } from '../../../src/store/memory/memory-state-store.js';
import { assertOneSlot, hashedPart } from '../../../src/store/hash-tag.js';
import type { BoundedCounter, StateStore } from '../../../src/store/state-store.js';

// Redis Cluster refuses a script over keys of different slots (CROSSSLOT). The store interface
// has one operation over several keys (incrementAllBelow); this drives every caller of it and
// checks with ioredis' own slot function (cluster-key-slot, the one its Cluster client routes
// by) that each call's keys, under the configured prefix, land in one slot.
const calculateSlot = createRequire(import.meta.url)('cluster-key-slot') as (key: string) => number;
const ROOT = join(import.meta.dirname, '..', '..', '..');
const PREFIXES = ['esia-broker:', 'test:1234_abcd:'];

function recording(): { store: StateStore; calls: BoundedCounter[][] } {
  const store = createMemoryStateStore();
  const calls: BoundedCounter[][] = [];
  return {
    calls,
    store: {
      ...store,
      incrementAllBelow: (counters) => {
        calls.push([...counters]);
        return store.incrementAllBelow(counters);
      },
    },
  };
}

t.test('hashedPart follows Redis: the first {…} that is not empty, else the whole key', async (t) => {
  t.equal(hashedPart('{a}:b'), 'a');
  t.equal(hashedPart('p:{a}:b{c}'), 'a', 'only the first tag counts');
  t.equal(hashedPart('p:{}:{a}'), 'p:{}:{a}', 'an empty tag means the whole key');
  t.equal(hashedPart('p:{a'), 'p:{a', 'an unclosed brace means the whole key');
  for (const key of ['{a}:b', 'p:{a}:b{c}', 'p:{}:{a}', 'plain', '{accounts:link-failures}:ip:x']) {
    t.equal(calculateSlot(key), calculateSlot(hashedPart(key)), `${key}: the slot is that of its hashed part`);
  }
});

t.test('every caller of the one multi-key operation passes keys of one slot', async (t) => {
  const { store, calls } = recording();
  const storeKey = createStoreKeyHash('test-store-key-secret-0123456789');
  const limiter = createLinkRateLimiter(store, storeKey, DEFAULT_LINK_LIMITS);
  for (const [esiaOid, login, ip] of [['1000000101', 'ivanova.m', '10.0.0.1'], ['1000000202', 'Petrov ', '2001:db8::7'], ['9', 'x', '203.0.113.9']] as const) {
    const reserved = await limiter.reserve({ esiaOid, login, ip });
    if (reserved.granted) await reserved.fail();
  }
  const admin = createAdminSessions(store, { adminToken: 'a'.repeat(32), ttlMs: 60_000, storeKey });
  await admin.login('wrong', '10.0.0.1');
  await admin.login('a'.repeat(32), '10.0.0.2');
  const failureLimit = createFailureLimit({ state: store, now: Date.now, storeKey, limit: 30 });
  await failureLimit.run('diary@203.0.113.9', async () => 'answered');
  await failureLimit.close();
  t.ok(calls.length >= 6, `${calls.length} calls recorded`);
  t.ok(calls.some((c) => c.length === 4), 'the manual-link limiter counts four keys at once');
  for (const prefix of PREFIXES) {
    for (const call of calls) {
      const slots = new Set(call.map((c) => calculateSlot(prefix + c.key)));
      t.equal(slots.size, 1, `${prefix} ${call.map((c) => c.key.split(':').slice(0, 3).join(':')).join(', ')}: one slot`);
    }
  }
  const linkSlots = new Set(calls.filter((c) => c.length === 4).flat().map((c) => calculateSlot(c.key)));
  t.equal(linkSlots.size, 1, 'all manual-link counters, of every person and address, share one slot');
});

t.test('keys of different slots are refused by both the check and the memory store', async (t) => {
  t.throws(() => assertOneSlot('incrementAllBelow', ['a', 'b']), /share one \{hash tag\}/);
  t.doesNotThrow(() => assertOneSlot('incrementAllBelow', ['{x}:a', 'y{x}:b']));
  const store = createMemoryStateStore();
  t.teardown(() => store.close());
  await t.rejects(store.incrementAllBelow([{ key: 'a', limit: 1, windowMs: 1000 }, { key: 'b', limit: 1, windowMs: 1000 }]), /hash tag/);
  t.equal(await store.get('a'), null, 'nothing counted');
});

t.test('the list above is every caller: no other multi-key use of Redis in src/', async (t) => {
  const callers: string[] = [];
  const multiKey: string[] = [];
  const redisSource = readFileSync(join(ROOT, 'src/store/redis/redis-state-store.ts'), 'utf8');
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts')) {
        const source = readFileSync(path, 'utf8');
        const file = relative(ROOT, path);
        if (/\.incrementAllBelow\(/.test(source)) callers.push(file);
        // MULTI/EXEC, pipelines, pub/sub, MGET/MSET, DEL of several keys, RENAME: putMany's pipeline only.
        if (file.startsWith('src/store/redis/')) for (const m of source.matchAll(/\.(multi|pipeline|subscribe|psubscribe|ssubscribe|publish|mget|mset|rename|renamenx|sunionstore|smove|lmove|copy)\(/g)) multiKey.push(`${file} ${m[1]}`);
      }
    }
  };
  walk(join(ROOT, 'src'));
  t.same(callers.sort(), ['src/accounts/rate-limit.ts', 'src/admin/admin-sessions.ts', 'src/oidc/token/failure-limit.ts'], 'a new caller of incrementAllBelow belongs in the test above');
  t.same(multiKey, ['src/store/redis/redis-state-store.ts pipeline'], 'the Redis store issues no other multi-key command');
  const putMany = redisSource.slice(redisSource.indexOf('async putMany('), redisSource.indexOf('redis.pipeline()'));
  t.match(putMany, /if \(cluster\) \{[^}]*return;\s*\}/, "putMany's pipeline is for a single server: a cluster gets one SET per key");
  // Scripts run through evalScript(SCRIPT, keys, args) (EVALSHA, EVAL on NOSCRIPT).
  const evals = [...redisSource.matchAll(/evalScript\((\w+), ([^,]+),/g)].map((m) => `${m[1]} ${m[2]}`);
  t.same(evals.sort(), ['ADD_TO_RECENT [key]', 'DECREMENT [key]', 'INCREMENT_ALL_BELOW counters.map((c) => c.key)', 'INCREMENT_IN_WINDOW [key]', 'TAKE_IF_FIELDS [key]'], 'scripts: one key each, except the checked one');
  t.same(redisSource.match(/redis\.eval\w*\(.*$/gm), ['redis.evalsha(scriptSha(script), keys.length, ...keys, ...args);', 'redis.eval(script, keys.length, ...keys, ...args);'], 'no script run another way than evalScript');
});
