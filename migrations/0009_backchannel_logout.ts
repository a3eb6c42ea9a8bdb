import { sql, type Kysely } from 'kysely';

/**
 * OIDC Back-Channel Logout 1.0: a client may register `backchannel_logout_uri` (and whether it
 * needs `sid` in the logout token). `backchannel_logouts` is the outbox: a row per logout token
 * owed to a client, written in the same transaction as whatever ended the grant (logout, unlink,
 * deactivation, erasure, refresh token reuse) and delivered by a worker on every replica.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('clients')
    .addColumn('backchannel_logout_uri', 'text')
    .addColumn('backchannel_logout_session_required', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  await db.schema
    .createTable('backchannel_logouts')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.client_id').onDelete('cascade'))
    // The logout token's sub (a diary profile id) and sid (the SSO session's public id).
    .addColumn('sub', 'text', (c) => c.notNull())
    .addColumn('sid', 'text')
    // What ended the grant: logout, link_removed, profile_not_activated, erased, refresh_token_reuse…
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // When a worker may (re)try it; a claim pushes it past the delivery timeout (a lease).
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    // Set after the last attempt failed: kept for operators until the retention purge.
    .addColumn('gave_up_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('backchannel_logouts_due_idx').on('backchannel_logouts').column('next_attempt_at').where(sql.ref('gave_up_at'), 'is', null).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('backchannel_logouts').ifExists().execute();
  await db.schema.alterTable('clients').dropColumn('backchannel_logout_uri').dropColumn('backchannel_logout_session_required').execute();
}
