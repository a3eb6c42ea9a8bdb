import { sql, type Kysely } from 'kysely';

/**
 * Every replica keeps what /introspect and /userinfo read (a grant's family, the profile, its
 * link, the client) in memory, and must hear at once when any of it changes, whoever changed
 * it: this service, another replica, the esia-broker command or an operator's SQL. These
 * triggers NOTIFY `esia_broker_grants` with the changed row's key (f:family, l:profile whose
 * link changed, p:profile, c:client). A notification is sent only when its transaction commits,
 * together with the change, and listeners receive them in commit order (src/oidc/grant-cache.ts).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create or replace function esia_broker_grant_changed() returns trigger language plpgsql as $$
    begin
      if TG_TABLE_NAME = 'refresh_token_families' then
        perform pg_notify('esia_broker_grants', 'f:' || OLD.id);
      elsif TG_TABLE_NAME = 'account_links' then
        if TG_OP <> 'INSERT' then perform pg_notify('esia_broker_grants', 'l:' || OLD.profile_id); end if;
        if TG_OP <> 'DELETE' then perform pg_notify('esia_broker_grants', 'l:' || NEW.profile_id); end if;
      elsif TG_TABLE_NAME = 'profiles' then
        perform pg_notify('esia_broker_grants', 'p:' || OLD.id);
      elsif TG_TABLE_NAME = 'clients' then
        if TG_OP = 'INSERT' then perform pg_notify('esia_broker_grants', 'c:' || NEW.client_id);
        else perform pg_notify('esia_broker_grants', 'c:' || OLD.client_id); end if;
      end if;
      return null;
    end $$`.execute(db);
  // Families change only when revoked (or purged): a refresh, which touches refresh_tokens, sends nothing.
  await sql`create trigger refresh_token_families_grant_changed after update of revoked_at or delete on refresh_token_families for each row execute function esia_broker_grant_changed()`.execute(db);
  // last_login_at and is_default change at logins and say nothing about a grant.
  await sql`create trigger account_links_grant_changed after insert or delete or update of esia_oid, profile_id on account_links for each row execute function esia_broker_grant_changed()`.execute(db);
  await sql`create trigger profiles_grant_changed_update after update on profiles for each row when (old.* is distinct from new.*) execute function esia_broker_grant_changed()`.execute(db);
  await sql`create trigger profiles_grant_changed_delete after delete on profiles for each row execute function esia_broker_grant_changed()`.execute(db);
  await sql`create trigger clients_grant_changed after insert or update or delete on clients for each row execute function esia_broker_grant_changed()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const [trigger, table] of [
    ['refresh_token_families_grant_changed', 'refresh_token_families'],
    ['account_links_grant_changed', 'account_links'],
    ['profiles_grant_changed_update', 'profiles'],
    ['profiles_grant_changed_delete', 'profiles'],
    ['clients_grant_changed', 'clients'],
  ] as const) {
    await sql`drop trigger if exists ${sql.id(trigger)} on ${sql.id(table)}`.execute(db);
  }
  await sql`drop function if exists esia_broker_grant_changed()`.execute(db);
}
