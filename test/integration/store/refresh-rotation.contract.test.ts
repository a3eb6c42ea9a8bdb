import t from 'tap';
import { databaseBackends, openWithClientAndProfile } from '../../helpers/backends.js';
import { decideRotation } from '../../../src/oidc/refresh-tokens.js';
import { createPostgresFamilyRepo } from '../../../src/store/postgres/refresh-tokens-repo.js';

// rotateUnused (the common case of a refresh in one conditional statement) against rotate (the
// locked transaction it falls back to), on embedded PGlite and real PostgreSQL alike.
const NOW = new Date('2026-09-01T10:00:00Z');
const LATER = new Date(NOW.getTime() + 3600_000);
const GRACE_MS = 5000;

for (const backend of databaseBackends()) {
  t.test(`refresh rotation in the store: ${backend.name}`, async (t) => {
    const { db } = await openWithClientAndProfile(t, backend);
    const repo = createPostgresFamilyRepo(db);
    let families = 0;
    /** A family with one unused token `<id>.0`; the token's expiry may differ from the family's. */
    const seed = async (expiresAt = LATER, tokenExpiresAt = expiresAt) => {
      const id = `f${++families}`;
      await repo.createFamily({ id, clientId: 'c', profileId: 'p', esiaOid: '1', level: 'standard', authTime: 1_700_000_000, scope: ['openid'], resource: [], sessionSid: undefined, expiresAt });
      await repo.addToken(id, `${id}.0`, tokenExpiresAt);
      return id;
    };
    const tokensOf = (familyId: string) => db.selectFrom('refresh_tokens').select(['token_hash', 'used_at', 'successor_hash', 'expires_at']).where('family_id', '=', familyId).orderBy('token_hash').execute();
    const decide = (at: Date, successorHash: string) => (view: Parameters<typeof decideRotation>[0]) => decideRotation(view, 'c', at.getTime(), GRACE_MS, successorHash);

    t.test('an unused token of a live family: used, its successor written, in one statement', async (t) => {
      const id = await seed();
      t.equal(await repo.rotateUnused(`${id}.0`, `${id}.1`, id, NOW), true);
      const [first, successor] = await tokensOf(id);
      t.equal(first?.successor_hash, `${id}.1`, 'the token names its successor');
      t.same(first?.used_at && new Date(first.used_at), NOW, 'and is used');
      t.equal(successor?.token_hash, `${id}.1`);
      t.equal(successor?.used_at, null, 'the successor is unused');
      t.same(successor && new Date(successor.expires_at), LATER, 'and expires with its family');
    });

    t.test('losing to a parallel refresh writes nothing; the locked rotation then answers with the grace or revokes for reuse', async (t) => {
      const id = await seed();
      t.equal(await repo.rotateUnused(`${id}.0`, `${id}.1`, id, NOW), true, 'the first refresh rotates');
      t.equal(await repo.rotateUnused(`${id}.0`, `${id}.1`, id, NOW), false, 'the second, which read the token unused too, finds it used');
      t.equal((await tokensOf(id)).length, 2, 'no second successor');
      const retry = await repo.rotate(`${id}.0`, `${id}.1`, NOW, decide(NOW, `${id}.1`));
      t.same(retry.decision, { action: 'grace' }, 'within the grace window: the same successor');
      const late = new Date(NOW.getTime() + GRACE_MS + 1);
      const reuse = await repo.rotate(`${id}.0`, `${id}.1`, late, decide(late, `${id}.1`));
      t.same(reuse.decision, { action: 'revoke-family', reason: 'refresh_token_reuse' }, 'after it: reuse');
      t.ok((await repo.findFamily(id))?.revokedAt, 'the family is revoked');
    });

    t.test('a revoked or expired family, or an expired token: nothing written', async (t) => {
      const revoked = await seed();
      await repo.revokeFamily(revoked, 'logout');
      const expiredFamily = await seed(new Date(NOW.getTime() - 1));
      const expiredToken = await seed(LATER, NOW);
      for (const [name, id] of [['revoked family', revoked], ['expired family', expiredFamily], ['expired token', expiredToken]] as const) {
        t.equal(await repo.rotateUnused(`${id}.0`, `${id}.1`, id, NOW), false, name);
        t.same((await tokensOf(id)).map((row) => [row.token_hash, row.used_at, row.successor_hash]), [[`${id}.0`, null, null]], `${name}: the token unused, no successor`);
      }
      const other = await seed();
      t.equal(await repo.rotateUnused(`${other}.0`, `${other}.1`, revoked, NOW), false, 'a token is rotated only within its own family');
    });

    t.test('refreshes of one token in parallel: exactly one writes', async (t) => {
      const id = await seed();
      const results = await Promise.all(Array.from({ length: 8 }, () => repo.rotateUnused(`${id}.0`, `${id}.1`, id, NOW)));
      t.equal(results.filter(Boolean).length, 1);
      t.equal((await tokensOf(id)).length, 2);
    });

    if (backend.name === 'postgres') {
      // Waiting is left to rotate()'s transaction: a connection lost during a lock wait then
      // leaves nothing written, where a statement on its own would still commit.
      t.test('a row another transaction holds: the statement does not wait and writes nothing', async (t) => {
        for (const held of ['the family (a revocation in progress)', 'the token (a parallel refresh)'] as const) {
          const id = await seed();
          const holding = db.transaction().execute(async (tx) => {
            if (held.startsWith('the family')) await tx.updateTable('refresh_token_families').set({ revoked_at: NOW, revoked_reason: 'logout' }).where('id', '=', id).execute();
            else await tx.selectFrom('refresh_tokens').select('token_hash').where('token_hash', '=', `${id}.0`).forUpdate().execute();
            t.equal(await repo.rotateUnused(`${id}.0`, `${id}.1`, id, NOW), false, `${held}: nothing written, at once`);
            throw new Error('roll back');
          });
          await t.rejects(holding, /roll back/);
          t.same((await tokensOf(id)).map((row) => [row.used_at, row.successor_hash]), [[null, null]], `${held}: the token unused`);
          t.equal(await repo.rotateUnused(`${id}.0`, `${id}.1`, id, NOW), true, `${held}: rotates once the row is free`);
        }
      });
    }
  });
}
