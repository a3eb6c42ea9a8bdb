import { sql, type Kysely } from 'kysely';

/**
 * Accounts: diary logins are matched ignoring case on the manual-link page, so
 * lower(login) needs an index; the chooser's default is one profile per ESIA account, so the
 * database refuses a second one; the links of one profile are looked up by profile_id (unique
 * already) and of one ESIA account by the primary key's leading column.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('profiles_login_lower_idx').on('profiles').expression(sql`lower(login)`).execute();
  await sql`create unique index account_links_one_default_idx on account_links (esia_oid) where is_default`.execute(db);
  await db.schema.createIndex('audit_events_target_at_idx').on('audit_events').columns(['target', 'at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('audit_events_target_at_idx').ifExists().execute();
  await db.schema.dropIndex('account_links_one_default_idx').ifExists().execute();
  await db.schema.dropIndex('profiles_login_lower_idx').ifExists().execute();
}
