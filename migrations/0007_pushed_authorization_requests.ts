import type { Kysely } from 'kysely';

/**
 * `require_pushed_authorization_requests` (RFC 9126 §6): a client with it set may start a login
 * only through POST /par, so its authorization parameters never travel through the browser.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('clients').addColumn('require_pushed_authorization_requests', 'boolean', (c) => c.notNull().defaultTo(false)).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('clients').dropColumn('require_pushed_authorization_requests').execute();
}
