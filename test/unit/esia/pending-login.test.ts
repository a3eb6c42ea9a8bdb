import t from 'tap';
import type { EsiaClient } from '../../../src/esia/client.js';
import { esiaKeys } from '../../../src/esia/keys.js';
import { createEsiaLogin, LoginStateError } from '../../../src/esia/login.js';
import type { EsiaPerson } from '../../../src/esia/person.js';
import type { Interaction } from '../../../src/oidc/interaction.js';
import { createMemoryStateStore } from '../../../src/store/memory/memory-state-store.js';
import type { StateStore } from '../../../src/store/state-store.js';

// The callback's pending login: taken in one state-store operation, and only by the browser
// bound to it; another browser's callback leaves it for the right one.
function setup() {
  const inner = createMemoryStateStore();
  const operations: string[] = [];
  const state = new Proxy(inner, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return (...args: unknown[]) => {
        operations.push(property);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as StateStore;
  const person = { oid: '1000' } as unknown as EsiaPerson;
  const client = { authorizationUrl: (esiaState: string) => `https://esia.example/ac?state=${esiaState}`, completeLogin: async () => person } as unknown as EsiaClient;
  const login = createEsiaLogin({ state, client, config: { forceLogin: 'ignore' } as never, relayUrl: 'https://broker.example/esia/login' });
  return { login, inner, operations, person };
}

async function started(login: ReturnType<typeof setup>['login'], interactionId: string): Promise<string> {
  const url = await login.starter.start({ id: interactionId } as Interaction);
  return new URL(url).searchParams.get('state')!;
}

t.test('the bound browser takes the pending login in one state-store operation', async (t) => {
  const { login, inner, operations, person } = setup();
  const state = await started(login, 'i-1');
  operations.length = 0;
  const done = await login.complete({ state, code: 'c', boundInteractionIds: ['i-0', 'i-1'] });
  t.equal(done.person, person);
  t.equal(done.pending.interactionId, 'i-1');
  t.same(operations, ['takeIfFields'], 'one operation, no look before the take');
  t.equal(await inner.get(esiaKeys.pendingLogin(state)), null, 'taken');
  const again = await login.complete({ state, code: 'c', boundInteractionIds: ['i-1'] }).catch((error: unknown) => error);
  t.match(again, { detail: 'unknown_state' }, 'once');
});

t.test('another browser is refused and the pending login stays for the right one', async (t) => {
  const { login } = setup();
  const state = await started(login, 'i-1');
  const refused = await login.complete({ state, code: 'c', boundInteractionIds: ['i-9'] }).catch((error: unknown) => error);
  t.type(refused, LoginStateError);
  t.match(refused, { detail: 'cookie_mismatch', interactionId: 'i-1' });
  t.match(await login.complete({ state, code: 'c', boundInteractionIds: ['i-1'] }), { pending: { interactionId: 'i-1' } });
});

t.test('two callbacks of the bound browser racing: one completes', async (t) => {
  const { login } = setup();
  const state = await started(login, 'i-1');
  const results = await Promise.allSettled([1, 2].map(() => login.complete({ state, code: 'c', boundInteractionIds: ['i-1'] })));
  t.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
  t.match(results.find((r) => r.status === 'rejected'), { reason: { detail: 'unknown_state' } });
});

t.test('an unknown state', async (t) => {
  const { login } = setup();
  const refused = await login.complete({ state: '00000000-0000-4000-8000-000000000000', code: 'c', boundInteractionIds: ['i-1'] }).catch((error: unknown) => error);
  t.match(refused, { detail: 'unknown_state' });
});
