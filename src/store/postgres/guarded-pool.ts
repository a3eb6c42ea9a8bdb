import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type pg from 'pg';
import { StoreUnavailable } from '../unavailable.js';
import { preparedName } from './prepared.js';

/**
 * The pg pool as kysely sees it, with outages made explicit:
 * - a failure to get a connection (refused, connect timeout, pool exhausted by hung clients) or
 *   a query that died with its connection (read timeout, terminated, reset) becomes
 *   StoreUnavailable('postgres'), and so do the server's "cannot serve now" SQLSTATE classes
 *   (08 connection, 53 resources, 57 operator intervention incl. statement_timeout, 58 system);
 *   every other server error (a constraint, a bug) passes through unchanged;
 * - a connection whose query hit the client deadline (query_timeout) is broken for good (pg
 *   keeps waiting for the lost answer): later queries on it fail at once, and it is destroyed
 *   on release instead of going back to the pool, so recovery needs no restart;
 * - a connection that dies while checked out does not crash the process (see onError);
 * - with namedStatements, a statement marked preparedAs(name) is sent by that name (prepared.ts).
 */
const UNAVAILABLE_SQLSTATE = /^(08|53|57|58)/;

function translated(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !UNAVAILABLE_SQLSTATE.test(code)) return error;
  return new StoreUnavailable('postgres', typeof code === 'string' ? `${code} ${error.message}`.slice(0, 120) : error.message.slice(0, 120), { cause: error });
}

const isReadTimeout = (error: unknown) => error instanceof Error && error.message === 'Query read timeout';

export function guardedPool(pool: pg.Pool, options: { namedStatements: boolean } = { namedStatements: false }): PostgresPool {
  return {
    async connect() {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw translated(error);
      }
      return guardedClient(client, options.namedStatements);
    },
    end: () => pool.end(),
  };
}

function guardedClient(client: pg.PoolClient, namedStatements: boolean): PostgresPoolClient {
  let broken: StoreUnavailable | undefined;
  // pg-pool listens for a connection dying only while the client is idle; checked out, a socket
  // closed under a query (Postgres restarted, a network reset) emits 'error' with no listener,
  // which would crash the process. The query itself already got the error; we only remember it.
  const onError = (error: Error) => {
    broken ??= new StoreUnavailable('postgres', error.message.slice(0, 120), { cause: error });
  };
  client.on('error', onError);
  function query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  function query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  function query<R>(first: string | PostgresCursor<R>, parameters?: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    if (typeof first !== 'string') return (client as unknown as { query(cursor: PostgresCursor<R>): PostgresCursor<R> }).query(first);
    if (broken) return Promise.reject(broken);
    const name = namedStatements ? preparedName(first) : undefined;
    const values = parameters as unknown[];
    return (client.query(name ? { name, text: first, values } : { text: first, values }) as unknown as Promise<PostgresQueryResult<R>>).catch((error: unknown) => {
      const failure = translated(error);
      if (isReadTimeout(error) && failure instanceof StoreUnavailable) broken = failure;
      throw failure;
    });
  }
  return {
    query,
    release() {
      client.off('error', onError);
      // true: pg-pool ends this client (destroying a socket that still waits) instead of reusing it.
      client.release(broken ? true : undefined);
    },
  };
}
