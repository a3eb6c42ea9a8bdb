import type { Kysely } from 'kysely';

/**
 * Directory import: `password_digest` is a keyed HMAC of the temporary password a
 * file carried last time (crypto/password-digest.ts), so a re-import of an unchanged password
 * costs one HMAC instead of one scrypt. Cleared with the password.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('profiles').addColumn('password_digest', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('profiles').dropColumn('password_digest').execute();
}
