import { sql, type Kysely } from 'kysely';

/**
 * Our authorization server's durable grants: every code exchange opens a family (the grant:
 * who, which client, what scope); refresh tokens rotate inside it, stored only as SHA-256.
 * Revoking the family (code replay, refresh reuse, logout, /revoke) kills every token in it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('refresh_token_families')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.client_id').onDelete('cascade'))
    .addColumn('profile_id', 'text', (c) => c.notNull().references('profiles.id').onDelete('cascade'))
    .addColumn('esia_oid', 'text', (c) => c.notNull())
    .addColumn('esia_level', 'text', (c) => c.notNull())
    .addColumn('auth_time', 'timestamptz', (c) => c.notNull())
    .addColumn('scope', 'jsonb', (c) => c.notNull())
    .addColumn('resource', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    // The broker SSO session's public id (the id_token's sid): logout ends its online grants.
    .addColumn('session_sid', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('revoked_reason', 'text')
    .execute();
  await db.schema.createIndex('refresh_token_families_session_idx').on('refresh_token_families').column('session_sid').execute();
  await db.schema.createIndex('refresh_token_families_profile_idx').on('refresh_token_families').column('profile_id').execute();

  await db.schema
    .createTable('refresh_tokens')
    // SHA-256 of the opaque token; the token itself is never stored.
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('family_id', 'text', (c) => c.notNull().references('refresh_token_families.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    // Set when rotated: a second use after the grace window is reuse and kills the family.
    .addColumn('used_at', 'timestamptz')
    .addColumn('successor_hash', 'text')
    .execute();
  await db.schema.createIndex('refresh_tokens_family_idx').on('refresh_tokens').column('family_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('refresh_tokens').ifExists().execute();
  await db.schema.dropTable('refresh_token_families').ifExists().execute();
}
