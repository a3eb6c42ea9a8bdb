import t from 'tap';
import { createSessionService } from '../../../src/oidc/sessions.js';
import { createMemoryStateStore } from '../../../src/store/memory/memory-state-store.js';

function setup() {
  let now = Date.parse('2026-09-01T10:00:00Z');
  const clock = () => now;
  const state = createMemoryStateStore(clock);
  const sessions = createSessionService({ state, now: clock, idleSeconds: 1800, absoluteSeconds: 43_200 });
  return { sessions, state, advance: (ms: number) => (now += ms) };
}
const login = { esiaOid: '100', level: 'standard' as const, authTime: 1_790_000_000, profileIds: ['p1'] };

t.test('idle timeout, touched by use', async (t) => {
  const { sessions, advance } = setup();
  const s = await sessions.establish(undefined, login);
  advance(1700_000);
  const found = await sessions.find(s.id);
  t.ok(found);
  await sessions.touch(found!);
  advance(1700_000);
  t.ok(await sessions.find(s.id), 'use restarted the idle clock');
  advance(1801_000);
  t.equal(await sessions.find(s.id), null, 'idle for 30 minutes: gone');
});

t.test('absolute timeout holds whatever the activity', async (t) => {
  const { sessions, advance } = setup();
  const s = await sessions.establish(undefined, login);
  for (let i = 0; i < 26; i += 1) {
    advance(1700_000);
    const found = await sessions.find(s.id);
    if (found) await sessions.touch(found);
  }
  t.equal(await sessions.find(s.id), null, 'after 12 hours: gone');
});

t.test('establish merges the same person under a new id, replaces another', async (t) => {
  const { sessions, state } = setup();
  const first = await sessions.establish(undefined, login);
  const merged = await sessions.establish(first.id, { ...login, profileIds: ['p2'] });
  t.not(merged.id, first.id, 'new id after every login (no fixation)');
  t.equal(merged.sid, first.sid, 'the public sid stays');
  t.same(new Set(merged.profileIds), new Set(['p1', 'p2']));
  t.equal(await sessions.find(first.id), null, 'the old id is dead');
  t.equal(await state.get(`oidc:session:${first.id}`), null);
  const other = await sessions.establish(merged.id, { ...login, esiaOid: '200', profileIds: ['p9'] });
  t.not(other.sid, merged.sid, 'another ESIA account: another session');
  t.same(other.profileIds, ['p9']);
  t.equal(await sessions.end(other.id).then((s) => s?.id), other.id);
  t.equal(await sessions.find(other.id), null);
});

t.test('the store never sees a session id: the key holds its hash, the value leaves it out', async (t) => {
  const { sessions, state } = setup();
  const written: string[] = [];
  const put = state.put.bind(state);
  state.put = async (key, value, ttlMs) => {
    written.push(key, value);
    return put(key, value, ttlMs);
  };
  const first = await sessions.establish(undefined, login);
  await sessions.touch(first);
  const second = await sessions.establish(first.id, { ...login, profileIds: ['p2'] });
  t.ok(written.length >= 6, 'three writes seen');
  for (const id of [first.id, second.id]) t.notOk(written.some((text) => text.includes(id)), 'no key or value contains the id');
  t.same((await sessions.find(second.id))?.profileIds.sort(), ['p1', 'p2'], 'and the id still finds its session');
  t.equal(await sessions.find(first.id), null, 'the replaced id finds nothing');
});

t.test('establish: the old id goes, the new session and its entry in the account index leave together', async (t) => {
  const { state } = setup();
  const events: string[] = [];
  const recorded = new Proxy(state, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || !['get', 'put', 'delete', 'addToRecent'].includes(String(property))) return value;
      return async (...args: unknown[]) => {
        const key = String(args[0]).split(':').slice(0, 2).join(':');
        events.push(`${String(property)} ${key}`);
        const answer: unknown = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        events.push(`done ${String(property)}`);
        return answer;
      };
    },
  });
  const sessions = createSessionService({ state: recorded, now: () => Date.parse('2026-09-01T10:00:00Z'), idleSeconds: 1800, absoluteSeconds: 43_200, accountHash: (oid) => `h${oid}` });
  const first = await sessions.establish(undefined, login);
  events.length = 0;
  const second = await sessions.establish(first.id, login);
  const operations = [...events];
  t.equal(await sessions.find(first.id), null, 'the old id is gone');
  t.ok(await sessions.find(second.id));
  t.same(operations, [
    'get oidc:session', // the current session
    'done get',
    'delete oidc:session',
    'put oidc:session',
    'addToRecent oidc:sessions-of',
    'done delete',
    'done put',
    'done addToRecent',
  ], 'four operations in all, in one round trip after the find');
});

t.test('two logins of one account at once: both sessions are in its index, so erasure ends both', async (t) => {
  const { state } = setup();
  const sessions = createSessionService({ state, now: () => Date.parse('2026-09-01T10:00:00Z'), idleSeconds: 1800, absoluteSeconds: 43_200, accountHash: (oid) => `h${oid}` });
  const [a, b] = await Promise.all([sessions.establish(undefined, login), sessions.establish(undefined, login)]);
  t.equal(await sessions.endAllOf(login.esiaOid), 2, 'two indexed');
  t.equal(await sessions.find(a.id), null);
  t.equal(await sessions.find(b.id), null);
});
