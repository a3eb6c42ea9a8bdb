import { createHash } from 'node:crypto';
import { Cluster } from 'ioredis';
import { assertOneSlot } from '../hash-tag.js';
import { assertSomeField, type StateStore } from '../state-store.js';
import { StoreUnavailable } from '../unavailable.js';
import { clusterServes, openRedisClient, type RedisStateStoreOptions } from './redis-client.js';

export type { RedisStateStoreOptions } from './redis-client.js';

// INCR then set the window only on the first hit, in one atomic script.
const INCREMENT_IN_WINDOW = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count`;

// All or nothing: every key below its limit (ARGV[2i-1]) gets INCR (window ARGV[2i] on a first
// hit); else nothing changes and the script answers -(index of the first full key), 1-based.
const INCREMENT_ALL_BELOW = `
for i = 1, #KEYS do
  if tonumber(redis.call('GET', KEYS[i]) or '0') >= tonumber(ARGV[2 * i - 1]) then return -i end
end
local counts = {}
for i = 1, #KEYS do
  counts[i] = redis.call('INCR', KEYS[i])
  if counts[i] == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[2 * i]) end
end
return counts`;

// GET, and DEL when the JSON value has, for each group of ARGV (a field name, a count n, then n
// allowed values), that field as a string equal to one of the values: {1|0, value}, or nil when
// absent. A field of another type never matches. Lua 5.1 interns its strings, so == compares
// references, not contents: no timing to learn an allowed value by.
const TAKE_IF_FIELDS = `
local value = redis.call('GET', KEYS[1])
if not value then return false end
local ok, decoded = pcall(cjson.decode, value)
if not (ok and type(decoded) == 'table') then return {0, value} end
local i = 1
while i <= #ARGV do
  local own, last, matched = decoded[ARGV[i]], i + 1 + tonumber(ARGV[i + 1]), false
  if type(own) == 'string' then
    for j = i + 2, last do
      if own == ARGV[j] then matched = true end
    end
  end
  if not matched then return {0, value} end
  i = last + 1
end
redis.call('DEL', KEYS[1])
return {1, value}`;

// The JSON array of strings at KEYS[1] (anything else counts as empty) without ARGV[1], then
// ARGV[1] at its end, the last ARGV[2] kept, stored for ARGV[3] ms; answers the new length.
// cjson writes an empty table as {}, but the array always holds ARGV[1].
const ADD_TO_RECENT = `
local members = {}
local raw = redis.call('GET', KEYS[1])
if raw then
  local ok, decoded = pcall(cjson.decode, raw)
  if ok and type(decoded) == 'table' then
    for _, m in ipairs(decoded) do
      if type(m) == 'string' and m ~= ARGV[1] then members[#members + 1] = m end
    end
  end
end
members[#members + 1] = ARGV[1]
local kept = {}
for i = math.max(1, #members - tonumber(ARGV[2]) + 1), #members do kept[#kept + 1] = members[i] end
redis.call('SET', KEYS[1], cjson.encode(kept), 'PX', ARGV[3])
return #kept`;

const shas = new Map<string, string>();
const scriptSha = (script: string) => {
  let sha = shas.get(script);
  if (!sha) shas.set(script, (sha = createHash('sha1').update(script).digest('hex')));
  return sha;
};

// DECR keeps the TTL; the last count takes the key with it.
const DECREMENT = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count <= 1 then redis.call('DEL', KEYS[1]) return 0 end
return redis.call('DECR', KEYS[1])`;

// Redis answered, but says it cannot serve now (loading, read-only replica, out of memory, …).
// MOVED and ASK: a cluster's slot moved (a failover, a resharding). ioredis follows them for a
// single command, but an auto-pipelined batch only when every command in it got the same error
// (Pipeline.js fillResult); MOVED names the slot, so a batch spanning two slots gets each raw.
// run() retries such a command once; one that meets MOVED again is the same transient state.
const UNAVAILABLE_REPLIES = /^(LOADING|BUSY|MASTERDOWN|READONLY|OOM|MISCONF|NOREPLICAS|TRYAGAIN|CLUSTERDOWN|MOVED|ASK)\b/;

/**
 * ioredis' connection-level failures (refused, closed, not writeable while offline, command
 * timed out, retries exhausted) and Redis' "cannot serve now" replies are an outage; any other
 * reply error (WRONGTYPE, a bad script) is a bug and passes through unchanged.
 */
export function translated(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  if (error.name === 'ReplyError' && !UNAVAILABLE_REPLIES.test(error.message)) return error;
  return new StoreUnavailable('redis', error.message.slice(0, 120), { cause: error });
}

const isRedirect = (error: unknown) => error instanceof Error && error.name === 'ReplyError' && /^(MOVED|ASK) /.test(error.message);

export async function createRedisStateStore(options: RedisStateStoreOptions): Promise<StateStore> {
  const redis = await openRedisClient(options);
  const cluster = redis instanceof Cluster ? redis : undefined;

  /**
   * A script by its SHA1 (EVALSHA): the failure limit runs two per token call, and sending each
   * script's text every time showed in the profile. A server that does not have it yet (fresh,
   * restarted, another cluster node) answers NOSCRIPT, and EVAL sends the text once, caching it.
   */
  async function evalScript(script: string, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    try {
      return await redis.evalsha(scriptSha(script), keys.length, ...keys, ...args);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) return redis.eval(script, keys.length, ...keys, ...args);
      throw error;
    }
  }

  /**
   * A command answered MOVED or ASK is sent once more after the slot map is refreshed: Redis
   * answers a redirect instead of running the command (the slot is checked before), so even a
   * write or a counter runs at most once. ioredis leaves the map stale when a batch fails so.
   */
  async function run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      if (!cluster || !isRedirect(error)) throw translated(error);
      try {
        await new Promise<void>((resolve, reject) => cluster.refreshSlotsCache((failed) => (failed ? reject(failed) : resolve())));
        return await command();
      } catch (again) {
        throw translated(again);
      }
    }
  }

  return {
    kind: 'redis',
    async put(key, value, ttlMs) {
      await run(() => redis.set(key, value, 'PX', ttlMs));
    },
    async putMany(entries) {
      if (entries.length === 0) return;
      // A cluster pipeline must stay on one node: there each SET goes alone, and auto-pipelining
      // (redis-client.ts) sends those of one tick to each node in one write.
      if (cluster) {
        await run(() => Promise.all(entries.map((e) => cluster.set(e.key, e.value, 'PX', e.ttlMs))));
        return;
      }
      const answers = await run(() => entries.reduce((batch, e) => batch.set(e.key, e.value, 'PX', e.ttlMs), redis.pipeline()).exec());
      const failed = answers?.find(([error]) => error)?.[0];
      if (failed) throw translated(failed);
    },
    async putIfAbsent(key, value, ttlMs) {
      return (await run(() => redis.set(key, value, 'PX', ttlMs, 'NX'))) === 'OK';
    },
    async get(key) {
      return run(() => redis.get(key));
    },
    async take(key) {
      return run(() => redis.getdel(key));
    },
    async takeIfFields(key, allowed) {
      assertSomeField(allowed);
      const args = Object.entries(allowed).flatMap(([field, values]) => [field, values.length, ...values]);
      const answer = (await run(() => evalScript(TAKE_IF_FIELDS, [key], args))) as [number, string] | null;
      return answer === null ? null : { value: answer[1], taken: answer[0] === 1 };
    },
    async addToRecent(key, member, max, ttlMs) {
      return Number(await run(() => evalScript(ADD_TO_RECENT, [key], [member, max, ttlMs])));
    },
    async delete(key) {
      await run(() => redis.del(key));
    },
    async increment(key, windowMs) {
      return Number(await run(() => evalScript(INCREMENT_IN_WINDOW, [key], [windowMs])));
    },
    async incrementAllBelow(counters) {
      assertOneSlot('incrementAllBelow', counters.map((c) => c.key));
      const args = counters.flatMap((c) => [String(c.limit), String(c.windowMs)]);
      const answer = (await run(() => evalScript(INCREMENT_ALL_BELOW, counters.map((c) => c.key), args))) as number | number[];
      return typeof answer === 'number' ? { counted: false, full: -answer - 1 } : { counted: true, counts: answer.map(Number) };
    },
    async decrement(key) {
      await run(() => evalScript(DECREMENT, [key], []));
    },
    async ttl(key) {
      const ms = await run(() => redis.pttl(key));
      return ms < 0 ? null : ms;
    },
    async ping() {
      await run(async () => void (cluster ? await clusterServes(cluster) : await redis.ping()));
    },
    async close() {
      redis.disconnect();
    },
  };
}
