import { sql } from 'kysely';
import type { EsiaLevel } from '../../esia/person.js';
import type { Family, FamilyRepo, RotationView, TokenRow } from '../../oidc/refresh-tokens.js';
import { oweBackchannelLogouts } from './backchannel-logouts-repo.js';
import type { Db } from './database.js';
import { preparedAs } from './prepared.js';

type FamilyRow = {
  id: string;
  client_id: string;
  profile_id: string;
  esia_oid: string;
  esia_level: string;
  auth_time: Date | string;
  scope: string[];
  resource: string[];
  session_sid: string | null;
  expires_at: Date | string;
  revoked_at: Date | string | null;
  revoked_reason: string | null;
  dpop_jkt: string | null;
};
type TokenDbRow = { token_hash: string; expires_at: Date | string; used_at: Date | string | null; successor_hash: string | null };

function toFamily(row: FamilyRow): Family {
  return {
    id: row.id,
    clientId: row.client_id,
    profileId: row.profile_id,
    esiaOid: row.esia_oid,
    level: row.esia_level as EsiaLevel,
    authTime: Math.floor(new Date(row.auth_time).getTime() / 1000),
    scope: row.scope,
    resource: row.resource,
    sessionSid: row.session_sid ?? undefined,
    expiresAt: new Date(row.expires_at),
    revokedAt: row.revoked_at ? new Date(row.revoked_at) : null,
    revokedReason: row.revoked_reason,
    dpopJkt: row.dpop_jkt ?? undefined,
  };
}

function toToken(row: TokenDbRow): TokenRow {
  return {
    hash: row.token_hash,
    expiresAt: new Date(row.expires_at),
    usedAt: row.used_at ? new Date(row.used_at) : null,
    successorHash: row.successor_hash,
  };
}

const TOKEN_COLUMNS = ['token_hash', 'expires_at', 'used_at', 'successor_hash'] as const;

/** A refresh token and its family in one round trip (the token's expiry as token_expires_at). */
function tokenWithFamily(db: Db, tokenHash: string) {
  return db
    .selectFrom('refresh_tokens as t')
    .innerJoin('refresh_token_families as f', 'f.id', 't.family_id')
    .select(['t.token_hash', 't.expires_at as token_expires_at', 't.used_at', 't.successor_hash'])
    .select(['f.id', 'f.client_id', 'f.profile_id', 'f.esia_oid', 'f.esia_level', 'f.auth_time', 'f.scope', 'f.resource', 'f.session_sid', 'f.expires_at', 'f.revoked_at', 'f.revoked_reason', 'f.dpop_jkt'])
    .where('t.token_hash', '=', tokenHash);
}

/** Refresh token families and hashed refresh tokens in Postgres (migration 0002). */
export function createPostgresFamilyRepo(db: Db): FamilyRepo {
  return {
    async createFamily(family, firstTokenHash) {
      const row = {
        id: family.id,
        client_id: family.clientId,
        profile_id: family.profileId,
        esia_oid: family.esiaOid,
        esia_level: family.level,
        auth_time: new Date(family.authTime * 1000),
        scope: JSON.stringify(family.scope),
        resource: JSON.stringify(family.resource),
        session_sid: family.sessionSid ?? null,
        dpop_jkt: family.dpopJkt ?? null,
        expires_at: family.expiresAt,
      };
      if (firstTokenHash === undefined) {
        await db.insertInto('refresh_token_families').values(row).execute();
        return;
      }
      // The family and its first token in one statement (a data-modifying CTE): one round trip
      // for the code exchange, and both rows or neither, whatever fails or is cut in between.
      await db
        .with('family', (q) => q.insertInto('refresh_token_families').values(row).returning(['id', 'expires_at']))
        .insertInto('refresh_tokens')
        .columns(['token_hash', 'family_id', 'expires_at'])
        .expression((eb) => eb.selectFrom('family').select([eb.val(firstTokenHash).as('token_hash'), 'family.id', 'family.expires_at']))
        .execute();
    },

    async addToken(familyId, tokenHash, expiresAt) {
      await db.insertInto('refresh_tokens').values({ token_hash: tokenHash, family_id: familyId, expires_at: expiresAt }).execute();
    },

    async findFamily(id) {
      const row = await db.selectFrom('refresh_token_families').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toFamily(row) : null;
    },

    async findToken(tokenHash) {
      // One round trip: every refresh reads its grant here before it rotates.
      const row = await tokenWithFamily(db, tokenHash).executeTakeFirst();
      return row ? { token: toToken({ ...row, expires_at: row.token_expires_at }), family: toFamily(row) } : null;
    },

    async rotate(tokenHash, successorHash, now, decide) {
      return db.transaction().execute(async (tx) => {
        // The token and its family, both locked, in one round trip (FOR UPDATE on a join locks
        // the rows of both tables); a token whose family is gone finds nothing, as before.
        const row = await tokenWithFamily(tx, tokenHash).forUpdate().executeTakeFirst();
        const successor = row?.successor_hash
          ? await tx.selectFrom('refresh_tokens').select(TOKEN_COLUMNS).where('token_hash', '=', row.successor_hash).executeTakeFirst()
          : undefined;
        const family = row ? toFamily(row) : null;
        const token = row ? toToken({ ...row, expires_at: row.token_expires_at }) : null;
        const view: RotationView | null = token && family ? { token, family, successor: successor ? toToken(successor) : null } : null;
        const decision = decide(view);
        if (decision.action === 'rotate' && family) {
          // Used and succeeded in one statement: a data-modifying CTE always runs to completion.
          await tx
            .with('used', (q) => q.updateTable('refresh_tokens').set({ used_at: now, successor_hash: successorHash }).where('token_hash', '=', tokenHash))
            .insertInto('refresh_tokens')
            .values({ token_hash: successorHash, family_id: family.id, expires_at: family.expiresAt })
            .execute();
        } else if (decision.action === 'revoke-family' && family) {
          await oweBackchannelLogouts(tx, { by: 'family', familyId: family.id }, decision.reason);
          await tx.updateTable('refresh_token_families').set({ revoked_at: now, revoked_reason: decision.reason }).where('id', '=', family.id).execute();
        }
        return { decision, family };
      });
    },

    async rotateUnused(tokenHash, successorHash, familyId, now) {
      // One round trip instead of rotate()'s five (BEGIN, the locked read, the successor's read,
      // the write, COMMIT), atomic in the statement's own transaction. It never waits for a
      // lock: a row another transaction holds (a parallel refresh, a revocation) is skipped and
      // the caller falls back to rotate(), which waits in a transaction of its own. So the
      // statement is over in moments, and a connection lost meanwhile leaves the token unused
      // as a transaction would. Holding the family row FOR SHARE makes a revocation wait for
      // the rotation or, committed first, leave it nothing to write, as rotate()'s FOR UPDATE.
      // Prepared once per connection (prepared.ts): planning it cost more than running it.
      const result = await sql`${sql.raw(preparedAs('rotate-unused'))}
        with live_family as (
          select id, expires_at from refresh_token_families
          where id = ${familyId} and revoked_at is null and expires_at > ${now}
          for share skip locked
        ), unused as (
          select token_hash from refresh_tokens
          where token_hash = ${tokenHash} and family_id in (select id from live_family) and used_at is null and expires_at > ${now}
          for update skip locked
        ), used as (
          update refresh_tokens set used_at = ${now}, successor_hash = ${successorHash}
          where token_hash in (select token_hash from unused)
          returning family_id
        )
        insert into refresh_tokens (token_hash, family_id, expires_at)
        select ${successorHash}, f.id, f.expires_at from used join live_family f on f.id = used.family_id`.execute(db);
      return result.numAffectedRows === 1n;
    },

    async revokeFamily(id, reason) {
      await db.updateTable('refresh_token_families').set({ revoked_at: new Date(), revoked_reason: reason }).where('id', '=', id).where('revoked_at', 'is', null).execute();
    },

    async revokeSessionFamilies(sessionSid, reason) {
      return db.transaction().execute(async (tx) => {
        // Every client with a grant in the session hears of its end, offline_access ones too:
        // their grant lives on, the login session in the client does not.
        await oweBackchannelLogouts(tx, { by: 'session', sid: sessionSid }, reason);
        const rows = await tx
          .updateTable('refresh_token_families')
          .set({ revoked_at: new Date(), revoked_reason: reason })
          .where('session_sid', '=', sessionSid)
          .where('revoked_at', 'is', null)
          .where(sql<boolean>`not (scope @> ${JSON.stringify(['offline_access'])}::jsonb)`)
          .returning('id')
          .execute();
        return rows.map((row) => row.id);
      });
    },

    async purgeExpired(before) {
      const result = await db.deleteFrom('refresh_token_families').where('expires_at', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
