import { sql, type Kysely } from 'kysely';

/**
 * Per-client integration settings: `allowed_origins` (browser origins served CORS at /token,
 * /userinfo and /revoke besides the redirect URIs' own) and `authorization_error_iss` (false
 * leaves RFC 9207 `iss` out of error redirects, for relying parties that mistake it for an
 * IdP-discovery answer, such as mod_auth_openidc).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('clients')
    .addColumn('allowed_origins', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('authorization_error_iss', 'boolean', (c) => c.notNull().defaultTo(true))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('clients').dropColumn('allowed_origins').dropColumn('authorization_error_iss').execute();
}
