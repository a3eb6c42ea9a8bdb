import type { JWK } from 'jose';
import type { SigningKeyRecord, SigningKeyRepo } from '../../oidc/signing-keys.js';
import type { Db } from './database.js';

/** Signing keys in Postgres (`signing_keys`); the private JWK arrives already sealed. */
export function createPostgresSigningKeyRepo(db: Db): SigningKeyRepo {
  return {
    async list() {
      const rows = await db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'desc').execute();
      return rows.map(
        (row): SigningKeyRecord => ({
          kid: row.kid,
          alg: row.alg as SigningKeyRecord['alg'],
          publicJwk: row.public_jwk as JWK,
          privateJwkSealed: row.private_jwk_encrypted,
          createdAt: new Date(row.created_at),
          activatesAt: new Date(row.activates_at),
          retiredAt: row.retired_at ? new Date(row.retired_at) : null,
          unpublishAt: row.unpublish_at ? new Date(row.unpublish_at) : null,
        }),
      );
    },

    async insert(record) {
      await db
        .insertInto('signing_keys')
        .values({
          kid: record.kid,
          alg: record.alg,
          public_jwk: JSON.stringify(record.publicJwk),
          private_jwk_encrypted: record.privateJwkSealed,
          created_at: record.createdAt,
          activates_at: record.activatesAt,
        })
        .execute();
    },

    async retire(kids, retiredAt, unpublishAt) {
      if (kids.length === 0) return;
      await db.updateTable('signing_keys').set({ retired_at: retiredAt, unpublish_at: unpublishAt }).where('kid', 'in', kids).execute();
    },
  };
}
