import type { Kysely } from 'kysely';

/**
 * `dpop_jkt` (RFC 9449 §5): the thumbprint of the DPoP key a public client's refresh tokens are
 * bound to; every refresh of the family must prove possession of that key. Null: not bound.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('refresh_token_families').addColumn('dpop_jkt', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('refresh_token_families').dropColumn('dpop_jkt').execute();
}
