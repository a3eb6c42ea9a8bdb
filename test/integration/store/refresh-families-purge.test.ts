import t from 'tap';
import { databaseBackends, openWithClientAndProfile } from '../../helpers/backends.js';
import { createPostgresFamilyRepo } from '../../../src/store/postgres/refresh-tokens-repo.js';

for (const backend of databaseBackends()) {
  t.test(`expired refresh-token families are purged, live ones kept: ${backend.name}`, async (t) => {
    const { db } = await openWithClientAndProfile(t, backend);
    const repo = createPostgresFamilyRepo(db);
    const family = (id: string, expiresAt: Date) => ({ id, clientId: 'c', profileId: 'p', esiaOid: '1', level: 'standard' as const, authTime: 1_700_000_000, scope: ['openid'], resource: [], sessionSid: undefined, expiresAt });
    await repo.createFamily(family('old', new Date('2026-01-01T00:00:00Z')));
    await repo.createFamily(family('live', new Date('2027-01-01T00:00:00Z')));
    await repo.addToken('old', 'h-old', new Date('2026-01-01T00:00:00Z'));
    await repo.addToken('live', 'h-live', new Date('2027-01-01T00:00:00Z'));

    t.equal(await repo.purgeExpired(new Date('2026-06-01T00:00:00Z')), 1);
    t.equal(await repo.findFamily('old'), null, 'expired family gone');
    t.equal(await repo.findToken('h-old'), null, 'with its tokens');
    t.ok(await repo.findFamily('live'), 'live family kept');
    t.equal(await repo.purgeExpired(new Date('2026-06-01T00:00:00Z')), 0, 'idempotent');
  });
}
