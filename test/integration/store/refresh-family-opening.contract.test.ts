import t from 'tap';
import { databaseBackends, openWithClientAndProfile } from '../../helpers/backends.js';
import type { Family } from '../../../src/oidc/refresh-tokens.js';
import { createPostgresFamilyRepo } from '../../../src/store/postgres/refresh-tokens-repo.js';

// The code exchange opens a grant's family with its first refresh token in one statement: both
// rows or neither, on embedded PGlite and real PostgreSQL alike.
const EXPIRES_AT = new Date('2027-03-01T10:00:00Z');

for (const backend of databaseBackends()) {
  t.test(`a family opened with its first refresh token: ${backend.name}`, async (t) => {
    const { db } = await openWithClientAndProfile(t, backend);
    const repo = createPostgresFamilyRepo(db);
    const family = (id: string): Omit<Family, 'revokedAt' | 'revokedReason'> => ({
      id, clientId: 'c', profileId: 'p', esiaOid: '1', level: 'confirmed', authTime: 1_700_000_000,
      scope: ['openid', 'offline_access'], resource: ['https://diary.example/api'], sessionSid: `sid-${id}`, dpopJkt: `jkt-${id}`, expiresAt: EXPIRES_AT,
    });
    const rowsOf = async (id: string) => ({
      families: (await db.selectFrom('refresh_token_families').select('id').where('id', '=', id).execute()).length,
      tokens: await db.selectFrom('refresh_tokens').select(['token_hash', 'used_at', 'successor_hash']).where('family_id', '=', id).execute(),
    });

    t.test('both rows written: the token unused, expiring with its family, and found with it', async (t) => {
      await repo.createFamily(family('a'), 'hash-a');
      const found = await repo.findToken('hash-a');
      t.same(found?.token, { hash: 'hash-a', expiresAt: EXPIRES_AT, usedAt: null, successorHash: null });
      t.same(found?.family, { ...family('a'), revokedAt: null, revokedReason: null }, 'every field of the family as given');
      t.equal(await repo.rotateUnused('hash-a', 'hash-a1', 'a', new Date('2027-01-01T00:00:00Z')), true, 'and it rotates');
    });

    t.test('no first token (a client without refresh tokens): the family alone', async (t) => {
      await repo.createFamily(family('b'));
      t.same(await rowsOf('b'), { families: 1, tokens: [] });
    });

    t.test('the token cannot be written (its hash taken): neither is, the error is the unique violation', async (t) => {
      await repo.createFamily(family('c'), 'hash-c');
      await t.rejects(repo.createFamily(family('d'), 'hash-c'), { code: '23505' });
      t.same(await rowsOf('d'), { families: 0, tokens: [] }, 'no family left without its token');
      t.same((await rowsOf('c')).tokens.map((row) => row.token_hash), ['hash-c'], 'the other family keeps its token');
    });

    t.test('the family cannot be written (its id taken): no token is', async (t) => {
      await repo.createFamily(family('e'), 'hash-e');
      await t.rejects(repo.createFamily(family('e'), 'hash-e2'), { code: '23505' });
      t.equal(await repo.findToken('hash-e2'), null);
      t.same((await rowsOf('e')).tokens.map((row) => row.token_hash), ['hash-e']);
    });

    t.test('the profile gone before the exchange wrote (a foreign key fails): nothing written', async (t) => {
      await t.rejects(repo.createFamily({ ...family('f'), profileId: 'deleted' }, 'hash-f'), { code: '23503' });
      t.same(await rowsOf('f'), { families: 0, tokens: [] });
    });
  });
}
