import { sql, type RawBuilder } from 'kysely';
import type { BackchannelOutbox, LogoutTarget, OwedLogout } from '../../oidc/backchannel-logout.js';
import type { Db } from './database.js';

type Executor = Pick<Db, 'executeQuery' | 'getExecutor'>;

function targetCondition(target: LogoutTarget): RawBuilder<unknown> {
  switch (target.by) {
    case 'family':
      return sql`f.id = ${target.familyId}`;
    case 'session':
      return sql`f.session_sid = ${target.sid}`;
    case 'profiles':
      return sql`f.profile_id = any(${[...target.profileIds]}::text[])`;
    case 'link':
      return sql`f.profile_id = ${target.profileId} and f.esia_oid = ${target.esiaOid}`;
    case 'person':
      return sql`(f.profile_id = any(${[...target.profileIds]}::text[]) or f.esia_oid = any(${[...target.esiaOids]}::text[]))`;
  }
}

/**
 * Owes a logout token to every client with a `backchannel_logout_uri` that holds a live grant
 * (not revoked, not expired) in `target`: one row per client, profile and session. Call it in
 * the transaction that ends the grants, before they are revoked or deleted, so the debt is
 * written if and only if the grants end.
 */
export async function oweBackchannelLogouts(db: Executor, target: LogoutTarget, reason: string): Promise<number> {
  const result = await sql`
    insert into backchannel_logouts (client_id, sub, sid, reason)
    select distinct f.client_id, f.profile_id, f.session_sid, ${reason}::text
      from refresh_token_families f
      join clients c on c.client_id = f.client_id
     where c.backchannel_logout_uri is not null
       and f.revoked_at is null
       and f.expires_at > now()
       and ${targetCondition(target)}`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

type ClaimedRow = { id: string; client_id: string; sub: string; sid: string | null; reason: string; attempts: number };

/** The outbox's delivery side: every replica claims due rows with SKIP LOCKED, never the same one twice at once. */
export function createPostgresBackchannelOutbox(db: Db): BackchannelOutbox {
  return {
    async claim(limit, leaseSeconds) {
      // The claim is the lease: next_attempt_at moves past the delivery timeout, so a replica
      // that dies mid-delivery leaves the row to be tried again after it.
      const { rows } = await sql<ClaimedRow>`
        update backchannel_logouts b
           set attempts = b.attempts + 1, next_attempt_at = now() + make_interval(secs => ${leaseSeconds}::double precision)
         where b.id in (
           select id from backchannel_logouts
            where gave_up_at is null and next_attempt_at <= now()
            order by next_attempt_at
            limit ${limit}
            for update skip locked)
        returning b.id, b.client_id, b.sub, b.sid, b.reason, b.attempts`.execute(db);
      return rows.map((row): OwedLogout => ({ id: String(row.id), clientId: row.client_id, sub: row.sub, sid: row.sid ?? undefined, reason: row.reason, attempts: row.attempts }));
    },

    async delivered(id) {
      await db.deleteFrom('backchannel_logouts').where('id', '=', id).execute();
    },

    async retryLater(id, error, delaySeconds) {
      await sql`update backchannel_logouts set last_error = ${error}, next_attempt_at = now() + make_interval(secs => ${delaySeconds}::double precision) where id = ${id}`.execute(db);
    },

    async giveUp(id, error) {
      await sql`update backchannel_logouts set last_error = ${error}, gave_up_at = now() where id = ${id}`.execute(db);
    },
  };
}
