import type { Compilable, CompiledQuery } from 'kysely';

/**
 * Named prepared statements for the hottest queries: Postgres plans an unnamed statement afresh
 * every time, which for the refresh rotation costs about ten times its execution (0.27 ms of
 * the server's CPU against 0.03 ms prepared, measured on the development machine). A statement
 * whose text starts with preparedAs(name) is sent by that name (guarded-pool.ts), so each
 * connection parses and plans it once. Not behind PgBouncer in transaction mode
 * (DATABASE_PGBOUNCER): a statement prepared on one server connection is unknown on the next.
 */
export function preparedAs(name: string): string {
  return `/* prepared ${name} */ `;
}

const MARK = /^\/\* prepared ([a-z0-9-]+) \*\/ /;

/** The name a statement's text asks to be prepared under, if any. */
export function preparedName(text: string): string | undefined {
  return MARK.exec(text)?.[1];
}

/**
 * A query built by kysely once, at start, and run with fresh parameters on each call: building
 * and compiling the query tree per call was most of kysely's share of a login's CPU. The text
 * is marked preparedAs(name), so Postgres also plans it once per connection. The template's
 * parameters only fix their number; each call must bring exactly as many.
 */
export function precompiled<R>(name: string, template: Compilable<R>): (parameters: readonly unknown[]) => CompiledQuery<R> {
  const compiled = template.compile();
  const text = preparedAs(name) + compiled.sql;
  const arity = compiled.parameters.length;
  return (parameters) => {
    if (parameters.length !== arity) throw new Error(`statement ${name} takes ${arity} parameters, got ${parameters.length}`);
    return { query: compiled.query, queryId: compiled.queryId, sql: text, parameters };
  };
}
