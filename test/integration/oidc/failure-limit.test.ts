import t from 'tap';
import { createStoreKeyHash } from '../../../src/crypto/store-key.js';
import { z } from 'zod';
import { InvalidClient, ServerError, TemporarilyUnavailable, UseDpopNonce } from '../../../src/errors/oauth-errors.js';
import { stateKeys } from '../../../src/oidc/state-keys.js';
import { createFailureLimit, type FailureLimit } from '../../../src/oidc/token/failure-limit.js';
import type { StateStore } from '../../../src/store/state-store.js';
import { StoreUnavailable } from '../../../src/store/unavailable.js';
import { stateBackends } from '../../helpers/backends.js';

// The /token, /par, /introspect and /revoke failure limit (src/oidc/token/failure-limit.ts)
// with per-instance slot leases, on every state store backend: a steady caller costs no store
// round trip, refusals never pass the limit on one instance or across instances sharing the
// store, and idle slots go back to the store.
const storeKey = createStoreKeyHash('test-store-key-secret-0123456789');
// Sweeps in tests that wait for idle slots; the others sweep too rarely to race a loaded machine.
const SWEEP_MS = 20;
const SLOW_SWEEP_MS = 250;
const NO_SWEEP_MS = 600_000;
const T0 = 1_790_000_000_000 - (1_790_000_000_000 % 60_000) + 1_000;

interface Spied {
  store: StateStore;
  ops: { reserve: number; giveBack: number };
}

function spied(store: StateStore): Spied {
  const ops = { reserve: 0, giveBack: 0 };
  return {
    ops,
    store: {
      ...store,
      incrementAllBelow: (counters) => {
        ops.reserve += 1;
        return store.incrementAllBelow(counters);
      },
      decrement: (key) => {
        ops.giveBack += 1;
        return store.decrement(key);
      },
    },
  };
}

const answered = async () => 'answered';
const refused = async (): Promise<string> => {
  throw new InvalidClient('wrong secret');
};
const until = async (what: () => Promise<boolean>, ms = 3000) => {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((resolve) => setTimeout(resolve, 10))) if (await what()) return true;
  return what();
};
/** What each call came to: its answer, or its error's class. */
const outcome = (call: Promise<string>) => call.then((answer) => answer, (error: unknown) => (error instanceof Error ? error.constructor.name : 'thrown'));

for (const backend of stateBackends()) {
  t.test(`failure limit on ${backend.name}`, async (t) => {
    const raw = await backend.open();
    t.teardown(() => raw.close());
    let clock = T0;
    const now = () => clock;
    let callers = 0;
    /** A caller of its own (client and address), its store key in this window, and a count reader. */
    const caller = () => {
      const who = `introspect:diary-${(callers += 1)}@203.0.113.7`;
      const key = (at = clock) => stateKeys.tokenRate(storeKey(who), Math.floor(at / 60_000));
      return { who, key, count: async (at = clock) => Number((await raw.get(key(at))) ?? 0) };
    };
    const limiters: FailureLimit[] = [];
    const limiter = (store: StateStore, limit: number, extra: { maxPools?: number; sweepMs?: number } = {}) => {
      const made = createFailureLimit({ state: store, now, storeKey, limit, sweepMs: NO_SWEEP_MS, ...extra });
      limiters.push(made);
      return made;
    };
    t.teardown(() => Promise.all(limiters.map((l) => l.close())));

    t.test('steady state: one reservation per slot held at once, none given back while in use', async (t) => {
      const cases = [
        { name: '200 sequential answered calls', calls: 200, atOnce: 1, task: answered },
        { name: '200 answered calls, 8 at a time', calls: 200, atOnce: 8, task: answered },
        { name: '200 DPoP nonce requests, 8 at a time (not refusals)', calls: 200, atOnce: 8, task: async (): Promise<string> => Promise.reject(new UseDpopNonce('n')) },
      ];
      for (const { name, calls, atOnce, task } of cases) {
        const { store, ops } = spied(raw);
        const limit = limiter(store, 30, { sweepMs: SWEEP_MS });
        const { who, count } = caller();
        for (let done = 0; done < calls; done += atOnce) await Promise.all(Array.from({ length: atOnce }, () => outcome(limit.run(who, task))));
        t.equal(ops.reserve, atOnce, `${name}: ${atOnce} reservation(s) for ${calls} calls (2 store operations per call before)`);
        t.equal(ops.giveBack, 0, `${name}: nothing given back while the caller is busy`);
        t.equal(await count(), atOnce, `${name}: the store counts the slots leased`);
        t.ok(await until(async () => (await count()) === 0), `${name}: idle, the slots go back to the store`);
        t.equal(ops.giveBack, atOnce, `${name}: one give-back per slot`);
      }
    });

    t.test('100 parallel wrong secrets: exactly the limit checked, on one instance or across two sharing the store', async (t) => {
      const cases = [
        { name: 'one instance', instances: 1, warm: 0 },
        { name: 'two instances', instances: 2, warm: 0 },
        { name: 'two instances, the first holding 5 idle leased slots', instances: 2, warm: 5 },
      ];
      for (const { name, instances, warm } of cases) {
        const limits = Array.from({ length: instances }, () => limiter(raw, 30));
        const { who, count } = caller();
        await Promise.all(Array.from({ length: warm }, () => limits[0]!.run(who, answered)));
        let checked = 0;
        const check = async () => {
          checked += 1;
          return refused();
        };
        const outcomes = await Promise.all(Array.from({ length: 100 }, (_, i) => outcome(limits[i % instances]!.run(who, check))));
        t.equal(checked, 30, `${name}: exactly the limit checked`);
        t.equal(outcomes.filter((o) => o === 'InvalidClient').length, 30, `${name}: 30 refused after the check`);
        t.equal(outcomes.filter((o) => o === 'SlowDown').length, 70, `${name}: the rest slow_down, unchecked`);
        t.equal(await count(), 30, `${name}: the store counts the refusals`);
        t.equal(await outcome(limits[0]!.run(who, answered)), 'SlowDown', `${name}: the right secret too, now`);
      }
    });

    t.test('idle slots go back: the store returns to the refusal count, then another instance has them', async (t) => {
      const { store, ops } = spied(raw);
      const [a, b] = [limiter(store, 5, { sweepMs: SLOW_SWEEP_MS }), limiter(store, 5)];
      const { who, count } = caller();
      for (let i = 0; i < 2; i += 1) t.equal(await outcome(a.run(who, refused)), 'InvalidClient');
      await Promise.all(Array.from({ length: 3 }, () => a.run(who, answered)));
      t.equal(await count(), 5, '2 refusals + 3 slots leased by the first instance');
      t.equal(await outcome(b.run(who, answered)), 'SlowDown', 'while they are held, the second instance has none (the cost: up to 2 sweeps)');
      t.ok(await until(async () => (await count()) === 2), 'idle, the store is back at the refusals');
      t.equal(await outcome(b.run(who, answered)), 'answered', 'and the second instance gets a slot');
      t.equal(ops.giveBack, 3, 'the first instance gave back its three');
    });

    t.test('our failures (answered 5xx) give their slot back; only 4xx refusals keep it', async (t) => {
      const failing = (error: () => unknown) => async (): Promise<string> => {
        throw error();
      };
      const ours = [
        { name: 'temporarily_unavailable (503)', task: failing(() => new TemporarilyUnavailable('postgres does not answer')) },
        { name: 'server_error (500)', task: failing(() => new ServerError('internal error')) },
        { name: 'the store down (503)', task: failing(() => new StoreUnavailable('postgres', 'ECONNREFUSED')) },
        { name: 'a bug (500)', task: failing(() => new TypeError('undefined is not a function')) },
      ];
      for (const { name, task } of ours) {
        const limit = limiter(raw, 3, { sweepMs: SWEEP_MS });
        const { who, count } = caller();
        const outcomes = [];
        for (let i = 0; i < 8; i += 1) outcomes.push(await outcome(limit.run(who, task)));
        t.notOk(outcomes.includes('SlowDown'), `${name}: 8 calls past the limit of 3, never slow_down`);
        t.ok(await until(async () => (await count()) === 0), `${name}: idle, the store counts nothing`);
        t.equal(await outcome(limit.run(who, answered)), 'answered', `${name}: the next right call is answered`);
      }
      const theirs = [
        { name: 'a value the database cannot hold (400)', task: failing(() => Object.assign(new Error('invalid byte sequence'), { code: '22021' })) },
        { name: 'a malformed field (400)', task: failing(() => z.string().parse(1)) },
      ];
      for (const { name, task } of theirs) {
        const limit = limiter(raw, 3);
        const { who, count } = caller();
        for (let i = 0; i < 3; i += 1) await outcome(limit.run(who, task));
        t.equal(await count(), 3, `${name}: a refusal, counted`);
        t.equal(await outcome(limit.run(who, answered)), 'SlowDown', `${name}: the limit`);
      }
    });

    t.test("a refused call's slot is never reused", async (t) => {
      const { store, ops } = spied(raw);
      const limit = limiter(store, 3);
      const { who, count } = caller();
      t.equal(await outcome(limit.run(who, answered)), 'answered');
      t.equal(ops.reserve, 1);
      t.equal(await outcome(limit.run(who, refused)), 'InvalidClient', 'the leased slot checks a wrong secret');
      t.equal(await count(), 1, 'and stays counted');
      t.equal(await outcome(limit.run(who, answered)), 'answered');
      t.equal(ops.reserve, 2, 'the next call reserves afresh: the refused slot left the pool');
      t.equal(await outcome(limit.run(who, refused)), 'InvalidClient');
      t.equal(await outcome(limit.run(who, refused)), 'InvalidClient');
      t.equal(await count(), 3, 'three refusals');
      t.equal(await outcome(limit.run(who, answered)), 'SlowDown', 'the limit: nothing left to lease');
      t.equal(ops.giveBack, 0, 'refused slots are never given back');
    });

    t.test('a call the store finds at the limit takes a slot of ours that came free meanwhile', async (t) => {
      // The store's answers wait at a gate the test opens, one at a time.
      const gates: Array<() => void> = [];
      const slowStore: StateStore = {
        ...raw,
        incrementAllBelow: async (counters) => {
          const answer = await raw.incrementAllBelow(counters);
          await new Promise<void>((resolve) => gates.push(resolve));
          return answer;
        },
      };
      const openGate = async () => {
        t.ok(await until(async () => gates.length > 0), 'a store answer waits');
        gates.shift()!();
      };
      const limit = limiter(slowStore, 1);
      const { who, count } = caller();
      let endFirst = () => {};
      const first = limit.run(who, () => new Promise<string>((resolve) => (endFirst = () => resolve('first'))));
      await openGate();
      t.ok(await until(async () => (await count()) === 1), 'the first call holds the one slot');
      const second = limit.run(who, answered);
      t.ok(await until(async () => gates.length > 0), "the store has answered the second call's reservation: full");
      endFirst();
      t.equal(await first, 'first');
      await openGate();
      t.equal(await outcome(second), 'answered', 'the first call had ended by then: its slot, not slow_down');
      t.equal(await count(), 1, 'one slot counted for both');
    });

    t.test('window rollover: a new window is a new count; the old pool drains', async (t) => {
      const { store, ops } = spied(raw);
      const limit = limiter(store, 3, { sweepMs: SLOW_SWEEP_MS });
      const { who, count } = caller();
      const first = clock;
      await Promise.all(Array.from({ length: 3 }, () => limit.run(who, answered)));
      t.equal(await outcome(limit.run(who, refused)), 'InvalidClient');
      t.equal(await outcome(limit.run(who, refused)), 'InvalidClient');
      t.equal(await count(first), 3, '2 refusals + 1 slot still leased: the limit');
      clock += 60_000;
      try {
        t.equal(await outcome(limit.run(who, answered)), 'answered', 'the next window: a fresh allowance');
        t.equal(ops.reserve, 4, 'reserved in the new window, not taken from the old pool');
        t.equal(await count(), 1);
        t.ok(await until(async () => (await count(first)) === 2 && (await count()) === 0), 'idle, both pools give back');
      } finally {
        clock = T0;
      }
    });

    t.test('a store that fails: the call fails as before, unchecked; a failed give-back keeps the answer', async (t) => {
      const outage = (what: string) => () => Promise.reject(new StoreUnavailable('redis', what));
      const down = limiter({ ...raw, incrementAllBelow: outage('down'), decrement: outage('down') }, 30);
      const { who } = caller();
      let checked = 0;
      t.equal(await outcome(down.run(who, async () => String((checked += 1)))), 'StoreUnavailable');
      t.equal(checked, 0, 'nothing checked without a counted slot');
      const noGiveBack = limiter({ ...raw, decrement: outage('no give-back') }, 30);
      t.equal(await noGiveBack.run(who, answered), 'answered');
      await noGiveBack.close();
      t.equal(await outcome(noGiveBack.run(who, answered)), 'answered', 'after close, calls give back at once; a failure there is not the answer');
    });

    t.test('holdLeases keeps a slot leased through any number of sweeps; idle settles once all went back', async (t) => {
      const { store, ops } = spied(raw);
      const limit = limiter(store, 30, { sweepMs: SWEEP_MS });
      const { who, count } = caller();
      await limit.idle();
      t.pass('idle at once with nothing leased');
      const release = limit.holdLeases();
      t.equal(await limit.run(who, answered), 'answered');
      t.equal(limit.leased(), 1);
      await new Promise((resolve) => setTimeout(resolve, 10 * SWEEP_MS));
      t.equal(limit.leased(), 1, 'still leased after 10 sweep periods');
      t.equal(await count(), 1, 'and counted in the store');
      t.equal(ops.giveBack, 0);
      release();
      await limit.idle();
      t.equal(limit.leased(), 0, 'released: nothing leased once idle');
      t.equal(await count(), 0, 'the hand-back answered by the time idle settles');
      t.equal(ops.giveBack, 1);
      t.equal(ops.reserve, 1);
    });

    t.test('close hands every idle slot back', async (t) => {
      const limit = limiter(raw, 30);
      const { who, count } = caller();
      await Promise.all(Array.from({ length: 4 }, () => limit.run(who, answered)));
      t.equal(await outcome(limit.run(who, refused)), 'InvalidClient');
      t.equal(await count(), 4);
      await limit.close();
      t.equal(await count(), 1, 'only the refusal is left');
    });

    t.test('past maxPools callers, slots go straight back', async (t) => {
      const { store, ops } = spied(raw);
      const limit = limiter(store, 30, { maxPools: 1 });
      const [one, two] = [caller(), caller()];
      await limit.run(one.who, answered);
      await limit.run(two.who, answered);
      t.equal(ops.giveBack, 1, 'the second caller, over the cap, gave its slot back at once');
      t.equal(await two.count(), 0);
      t.equal(await one.count(), 1, 'the first keeps its lease');
    });
  });
}
