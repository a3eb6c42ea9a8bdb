import t from 'tap';
import { EventEmitter } from 'node:events';
import type pg from 'pg';
import { guardedPool } from '../../../src/store/postgres/guarded-pool.js';
import { createRedisStateStore } from '../../../src/store/redis/redis-state-store.js';
import { StoreUnavailable, infrastructureFailure } from '../../../src/store/unavailable.js';
import { freePort, hasRedisServer, startPrivateRedis, stopPrivateRedis } from '../../helpers/private-redis.js';

// What counts as "our storage is unavailable" (503) and what stays a bug or a conflict: the
// error handler trusts this one classification.
const sqlError = (code: string, message: string) => Object.assign(new Error(message), { code });

function fakePool(failure: Error, released: Array<boolean | undefined>, client = new EventEmitter()): pg.Pool {
  Object.assign(client, {
    query: () => Promise.reject(failure),
    release: (destroy?: boolean) => void released.push(destroy),
  });
  return { connect: async () => client, end: async () => undefined } as unknown as pg.Pool;
}

t.test('Postgres: connection-level failures and "cannot serve now" SQLSTATEs are outages; constraint errors are not', async (t) => {
  const cases: Array<{ error: Error; outage: boolean }> = [
    { error: new Error('Query read timeout'), outage: true },
    { error: new Error('Connection terminated unexpectedly'), outage: true },
    { error: sqlError('ECONNRESET', 'read ECONNRESET'), outage: true },
    { error: sqlError('57014', 'canceling statement due to statement timeout'), outage: true },
    { error: sqlError('57P01', 'terminating connection due to administrator command'), outage: true },
    { error: sqlError('53300', 'too many connections'), outage: true },
    { error: sqlError('08006', 'connection failure'), outage: true },
    { error: sqlError('23505', 'duplicate key value violates unique constraint'), outage: false },
    { error: sqlError('42P01', 'relation does not exist'), outage: false },
  ];
  for (const { error, outage } of cases) {
    const pool = guardedPool(fakePool(error, []));
    const client = await pool.connect();
    const thrown = await client.query('select 1', []).catch((e: unknown) => e);
    if (outage) t.ok(infrastructureFailure(thrown)?.backend === 'postgres', `${error.message}: unavailable`);
    else t.equal(thrown, error, `${error.message}: passes through unchanged`);
  }
  const refused = guardedPool({ connect: () => Promise.reject(sqlError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')), end: async () => undefined } as unknown as pg.Pool);
  t.ok(infrastructureFailure(await refused.connect().catch((e: unknown) => e)), 'a refused connect is unavailable');
});

t.test('Postgres: a connection whose query hit the deadline is broken for good and destroyed on release', async (t) => {
  const released: Array<boolean | undefined> = [];
  const pool = guardedPool(fakePool(new Error('Query read timeout'), released));
  const client = await pool.connect();
  await client.query('select 1', []).catch(() => undefined);
  const next = await client.query('select 2', []).catch((e: unknown) => e);
  t.ok(next instanceof StoreUnavailable, 'later queries on it fail at once');
  client.release();
  t.same(released, [true], 'released with destroy, not back into the pool');

  const healthy: Array<boolean | undefined> = [];
  const other = await guardedPool(fakePool(sqlError('23505', 'duplicate'), healthy)).connect();
  await other.query('insert', []).catch(() => undefined);
  other.release();
  t.same(healthy, [undefined], 'a constraint error leaves the connection reusable');
});

t.test('Postgres: a connection that dies while checked out does not crash the process; it is destroyed on release', async (t) => {
  const released: Array<boolean | undefined> = [];
  const raw = new EventEmitter();
  const client = await guardedPool(fakePool(new Error('unused'), released, raw)).connect();
  // pg emits 'error' on a checked-out client whose socket closed; with no listener, Node throws.
  t.doesNotThrow(() => raw.emit('error', new Error('Connection terminated unexpectedly')), 'handled');
  t.ok((await client.query('select 1', []).catch((e: unknown) => e)) instanceof StoreUnavailable, 'later queries fail at once');
  client.release();
  t.same(released, [true], 'destroyed, not pooled');
  t.equal(raw.listenerCount('error'), 0, 'our listener leaves with the checkout (pg-pool has its own for idle clients)');
});

t.test('Redis: a dead server is StoreUnavailable at once; a reply error (a bug) passes through', { skip: hasRedisServer() ? false : 'redis-server not installed' }, async (t) => {
  const port = await freePort();
  const redis = await startPrivateRedis(port);
  let stopped = false;
  t.teardown(() => (stopped ? undefined : stopPrivateRedis(redis)));
  const store = await createRedisStateStore({ url: `redis://127.0.0.1:${port}`, keyPrefix: 'unit:', commandTimeoutMs: 300 });
  t.teardown(() => store.close());
  await store.put('text', 'not a number', 60_000);
  const bug = await store.increment('text', 60_000).catch((e: unknown) => e);
  t.ok(bug instanceof Error && !infrastructureFailure(bug), 'ERR value is not an integer: not an outage');
  await stopPrivateRedis(redis);
  stopped = true;
  const began = performance.now();
  const down = await store.get('text').catch((e: unknown) => e);
  t.equal(infrastructureFailure(down)?.backend, 'redis', 'the server is gone: unavailable');
  t.ok(performance.now() - began < 1000, 'at once or within the command deadline, never queued');
});

t.test('the cause chain is followed a few levels', async (t) => {
  const down = new StoreUnavailable('redis', 'Connection is closed.');
  t.equal(infrastructureFailure(new Error('wrapped', { cause: new Error('again', { cause: down }) })), down);
  t.equal(infrastructureFailure(new Error('a bug')), undefined);
  t.equal(infrastructureFailure('not an error'), undefined);
});
