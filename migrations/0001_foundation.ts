import { sql, type Kysely } from 'kysely';

/**
 * Foundation tables: signing keys, clients, diary profiles, account links, audit events.
 * Never edit a released migration; add a new one.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('signing_keys')
    .addColumn('kid', 'text', (c) => c.primaryKey())
    .addColumn('alg', 'text', (c) => c.notNull())
    .addColumn('public_jwk', 'jsonb', (c) => c.notNull())
    // Private JWK encrypted with KEY_ENCRYPTION_KEY (AES-256-GCM); never stored in the clear.
    .addColumn('private_jwk_encrypted', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // Published in JWKS from created_at; signs from activates_at (so verifiers fetch it first).
    .addColumn('activates_at', 'timestamptz', (c) => c.notNull())
    // Set on rotation: stops signing then, leaves JWKS once its tokens have expired.
    .addColumn('retired_at', 'timestamptz')
    .addColumn('unpublish_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('clients')
    .addColumn('client_id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text')
    .addColumn('jwks', 'jsonb')
    .addColumn('auth_method', 'text', (c) => c.notNull())
    .addColumn('redirect_uris', 'jsonb', (c) => c.notNull())
    .addColumn('post_logout_redirect_uris', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('regions', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('allowed_scopes', 'jsonb', (c) => c.notNull())
    .addColumn('allowed_resources', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('id_token_signed_response_alg', 'text', (c) => c.notNull().defaultTo('ES256'))
    .addColumn('refresh_token_ttl_seconds', 'integer', (c) => c.notNull().defaultTo(2592000))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('profiles')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('login', 'text', (c) => c.notNull().unique())
    .addColumn('password_hash', 'text')
    .addColumn('last_name', 'text', (c) => c.notNull())
    .addColumn('first_name', 'text', (c) => c.notNull())
    .addColumn('middle_name', 'text')
    .addColumn('birth_date', 'date')
    // SNILS only as HMAC-SHA256 keyed with SNILS_HMAC_KEY, plus the last 4 digits for support.
    .addColumn('snils_hmac', 'text')
    .addColumn('snils_last4', 'text')
    .addColumn('email', 'text')
    .addColumn('email_confirmed', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('roles', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('school_ids', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('activated', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('region', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('profiles_snils_hmac_idx').on('profiles').column('snils_hmac').execute();
  await db.schema.createIndex('profiles_email_idx').on('profiles').expression(sql`lower(email)`).execute();

  await db.schema
    .createTable('account_links')
    .addColumn('esia_oid', 'text', (c) => c.notNull())
    // A diary profile belongs to at most one ESIA account.
    .addColumn('profile_id', 'text', (c) => c.notNull().unique().references('profiles.id').onDelete('cascade'))
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('is_default', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_login_at', 'timestamptz')
    .addPrimaryKeyConstraint('account_links_pk', ['esia_oid', 'profile_id'])
    .execute();

  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('region', 'text')
    .addColumn('client_id', 'text')
    .addColumn('request_id', 'text')
    // Never personal data: ids and codes only.
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  await db.schema.createIndex('audit_events_at_idx').on('audit_events').column('at').execute();
  await db.schema.createIndex('audit_events_action_at_idx').on('audit_events').columns(['action', 'at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['audit_events', 'account_links', 'profiles', 'clients', 'signing_keys']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
