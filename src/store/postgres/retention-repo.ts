import { sql } from 'kysely';
import type { PurgeCutoffs, PurgeCounts, RetentionStore } from '../../admin/retention.js';
import { LOGIN_EVENT_ACTIONS } from '../../admin/retention.js';
import type { Db } from './database.js';

/**
 * The purge in one transaction behind a transaction-scoped advisory lock: of several replicas
 * (and a CronJob) that start it at once, one deletes and the others return null at once
 * instead of queueing behind it. The lock ends with the transaction, even if the process dies.
 */
export function createPostgresRetentionStore(db: Db): RetentionStore {
  return {
    async purge(cutoffs: PurgeCutoffs): Promise<PurgeCounts | null> {
      return db.transaction().execute(async (tx) => {
        const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(hashtext('esia-broker:retention')) as locked`.execute(tx);
        if (!rows[0]?.locked) return null;
        const logins = await tx.deleteFrom('audit_events').where('action', 'in', LOGIN_EVENT_ACTIONS).where('at', '<', cutoffs.loginEvents).executeTakeFirst();
        const audit = await tx.deleteFrom('audit_events').where('action', 'not in', LOGIN_EVENT_ACTIONS).where('at', '<', cutoffs.audit).executeTakeFirst();
        // Expired or revoked grants: their tokens go with them (on delete cascade).
        const families = await tx
          .deleteFrom('refresh_token_families')
          .where((eb) => eb.or([eb('expires_at', '<', cutoffs.grants), eb('revoked_at', '<', cutoffs.grants)]))
          .executeTakeFirst();
        // Logout tokens given up on: kept for operators as long as a revoked grant would be.
        const logouts = await tx.deleteFrom('backchannel_logouts').where('gave_up_at', '<', cutoffs.backchannelLogouts).executeTakeFirst();
        return { login_events: Number(logins.numDeletedRows), audit_events: Number(audit.numDeletedRows), grants: Number(families.numDeletedRows), backchannel_logouts: Number(logouts.numDeletedRows) };
      });
    },
  };
}
