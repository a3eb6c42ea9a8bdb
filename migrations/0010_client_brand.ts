import type { Kysely } from 'kysely';

/**
 * What people read about the diary a client is: `product_name` (shown after «электронный
 * дневник» on the login pages), `support_contact`, `help_uri` and `client_uri` (the diary's start
 * page, where a person who comes Back to a finished login is sent). All optional: without them
 * the pages say «электронный дневник» and nothing more.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('clients')
    .addColumn('product_name', 'text')
    .addColumn('support_contact', 'text')
    .addColumn('help_uri', 'text')
    .addColumn('client_uri', 'text')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('clients').dropColumn('product_name').dropColumn('support_contact').dropColumn('help_uri').dropColumn('client_uri').execute();
}
