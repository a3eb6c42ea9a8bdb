import t from 'tap';
import { createAdminQueries } from '../../../src/store/postgres/admin-queries.js';
import { createHarness, hashSnils, newSnils } from '../../helpers/accounts.js';
import { databaseBackends } from '../../helpers/backends.js';

const audit = (oid: string, action = 'test.link') => ({ actor: `esia:${oid}`, action, outcome: 'ok', region: '52', details: { n: 1 } });

// The accounts adapters on embedded PGlite and on real PostgreSQL.
for (const backend of databaseBackends()) {
  t.test(`accounts repositories: ${backend.name}`, async (t) => {
    const handle = await backend.open();
    t.teardown(() => handle.close());
    const h = createHarness(handle);
    const { directory, links } = h.deps;
    const count = async (table: 'account_links' | 'audit_events', oid: string) =>
      table === 'account_links'
        ? (await h.db.selectFrom('account_links').select('profile_id').where('esia_oid', '=', oid).execute()).length
        : (await h.db.selectFrom('audit_events').select('id').where('actor', '=', `esia:${oid}`).execute()).length;

    t.test('directory lookups', async (t) => {
      const snils = newSnils();
      const a = await h.profile({ snils, email: 'Mixed.Case@Example.ru', emailConfirmed: true });
      const b = await h.profile({ snils, roles: ['teacher'] });
      await h.profile({ email: 'unconfirmed@example.ru', emailConfirmed: false });
      t.same((await directory.findBySnilsHash(hashSnils(snils)!.hash)).map((p) => p.id), [a.id, b.id].sort());
      t.same(await directory.findBySnilsHash('0'.repeat(64)), []);
      t.same((await directory.findByConfirmedEmail('mixed.case@example.RU')).map((p) => p.id), [a.id]);
      t.same(await directory.findByConfirmedEmail('unconfirmed@example.ru'), [], 'unconfirmed e-mails never match');
      const found = await directory.findById(a.id);
      t.match(found, { snilsLast4: hashSnils(snils)!.last4, emailConfirmed: true, roles: ['parent'], schoolIds: ['school-1'], activated: true, birthDate: '1985-06-15' });
      t.notOk('password' in found! || 'passwordHash' in found!, 'the profile never carries a password hash');
    });

    t.test('authenticate: exact login, else the one case-insensitive match; never a guess', async (t) => {
      const p = await h.profile({ login: 'Kim.Viktor', password: 'right-one' });
      t.equal((await directory.authenticate('Kim.Viktor', 'right-one'))?.id, p.id);
      t.equal((await directory.authenticate('kim.viktor', 'right-one'))?.id, p.id);
      t.equal(await directory.authenticate('Kim.Viktor', 'wrong'), null);
      t.equal(await directory.authenticate('nobody.here', 'right-one'), null);
      t.equal(await directory.authenticate('', 'right-one'), null);
      await h.profile({ login: 'twin.LOGIN', password: 'a' });
      await h.profile({ login: 'TWIN.login', password: 'a' });
      t.equal(await directory.authenticate('twin.login', 'a'), null, 'ambiguous without case: refused');
      t.ok(await directory.authenticate('TWIN.login', 'a'), 'the exact one still works');
      const noPassword = await h.profile({ password: null });
      t.equal(await directory.authenticate(noPassword.login, ''), null, 'no password hash: never authenticates');
    });

    t.test('a link and its audit event are written together or not at all', async (t) => {
      const p = await h.profile();
      await t.rejects(links.createLinks({ esiaOid: 'tx-1', profileIds: [p.id, 'p-does-not-exist'], method: 'snils', onlyIfUnlinked: true }, audit('tx-1')));
      t.equal(await count('account_links', 'tx-1'), 0, 'no half-written link');
      t.equal(await count('audit_events', 'tx-1'), 0, 'no audit row for a link that does not exist');
      t.same(await links.createLinks({ esiaOid: 'tx-1', profileIds: [p.id], method: 'snils', onlyIfUnlinked: true }, audit('tx-1')), { ok: true });
      t.equal(await count('account_links', 'tx-1'), 1);
      t.equal(await count('audit_events', 'tx-1'), 1);
      t.match(await links.linkOfProfile(p.id), { esiaOid: 'tx-1', method: 'snils', isDefault: false, lastLoginAt: null });
    });

    t.test('concurrent first links of one ESIA account: exactly one wins', async (t) => {
      const profiles = await Promise.all(Array.from({ length: 8 }, () => h.profile()));
      const results = await Promise.all(profiles.map((p) => links.createLinks({ esiaOid: 'race-1', profileIds: [p.id], method: 'manual', onlyIfUnlinked: true }, audit('race-1'))));
      t.equal(results.filter((r) => r.ok).length, 1);
      t.ok(results.filter((r) => !r.ok).every((r) => !r.ok && r.conflict === 'esia_already_linked'));
      t.equal(await count('account_links', 'race-1'), 1);
      t.equal(await count('audit_events', 'race-1'), 1, 'one audit row for the one link');
    });

    t.test('two ESIA accounts linking one profile at once: one wins, the other gets a conflict, not an error', async (t) => {
      for (let round = 0; round < 5; round++) {
        const p = await h.profile();
        const results = await Promise.all(['a', 'b'].map((who) => links.createLinks({ esiaOid: `steal-${round}-${who}`, profileIds: [p.id], method: 'manual', onlyIfUnlinked: true }, audit(`steal-${round}-${who}`))));
        t.same(results.map((r) => r.ok).sort(), [false, true]);
        t.match(results.find((r) => !r.ok), { conflict: 'profile_already_linked' });
      }
    });

    t.test('the default: one per ESIA account, moved in one step, refused for a profile not linked', async (t) => {
      const [a, b, c] = await Promise.all([h.profile(), h.profile(), h.profile()]);
      t.same(await links.createLinks({ esiaOid: 'def-1', profileIds: [a!.id, b!.id], method: 'snils', defaultProfileId: b!.id, onlyIfUnlinked: true }, audit('def-1')), { ok: true });
      t.same((await links.linksOf('def-1')).filter((l) => l.isDefault).map((l) => l.profileId), [b!.id]);
      t.ok(await links.setDefault('def-1', a!.id, audit('def-1', 'test.default')));
      t.same((await links.linksOf('def-1')).filter((l) => l.isDefault).map((l) => l.profileId), [a!.id]);
      t.notOk(await links.setDefault('def-1', c!.id, audit('def-1', 'test.default')), 'not linked: nothing marked');
      t.equal(await count('audit_events', 'def-1'), 2, 'the refused one is not audited as done');
      await t.rejects(h.db.updateTable('account_links').set({ is_default: true }).where('esia_oid', '=', 'def-1').execute(), 'the database refuses two defaults');
    });

    t.test('linkedProfilesOf: linksOf, each link with the profile findById reads', async (t) => {
      const [a, b, c] = await Promise.all([h.profile({ region: '38' }), h.profile({ roles: ['teacher'], activated: false }), h.profile({ middleName: null, birthDate: null })]);
      t.same(await links.createLinks({ esiaOid: 'lp-1', profileIds: [c!.id, a!.id], method: 'snils', defaultProfileId: a!.id, onlyIfUnlinked: true }, audit('lp-1')), { ok: true });
      // Made later: comes after the others, whatever its id.
      await h.db.insertInto('account_links').values({ esia_oid: 'lp-1', profile_id: b!.id, method: 'manual', created_at: new Date(Date.now() + 60_000) }).execute();
      const expected = await Promise.all((await links.linksOf('lp-1')).map(async (link) => ({ link, profile: await directory.findById(link.profileId) })));
      t.equal(expected.length, 3);
      t.same(await links.linkedProfilesOf('lp-1'), expected, 'the same links in the same order, the same profiles');
      t.same((await links.linkedProfilesOf('lp-1')).map(({ profile }) => profile?.id), expected.map(({ link }) => link.profileId), 'each with its own profile');
      t.same(await links.linkedProfilesOf('lp-nobody'), [], 'no links: nothing');
      t.same(await h.accounts.linksOf('lp-1'), expected, "the linked-accounts page's list: the same");
    });

    t.test('recordLogin and recordRefusal write what the admin reports count', async (t) => {
      const region = '53';
      const p = await h.profile({ region });
      const person = h.person();
      const ctx = h.ctx({ regionCode: region });
      await h.deps.links.createLinks({ esiaOid: person.oid, profileIds: [p.id], method: 'manual', onlyIfUnlinked: true }, audit(person.oid));
      await h.accounts.recordLogin(person, p, ctx);
      await h.accounts.recordRefusal(person.oid, { reason: 'esia_level_too_low', detail: 'level_below_adult_requirement' }, ctx);
      await h.accounts.recordRefusal(undefined, { reason: 'consent_refused' }, ctx);
      const reports = createAdminQueries(h.db);
      const activity = await reports.loginActivity({ region });
      t.match(activity.find((r) => r.profile_id === p.id), { esia_login: 'yes', esia_login_count: 1 });
      const outcomes = (await reports.loginOutcomes({ region })).map((r) => [r.outcome, r.count]).sort();
      t.same(outcomes, [['consent_refused', 1], ['esia_level_too_low', 1], ['success', 1]]);
      t.ok((await h.deps.links.linkOfProfile(p.id))?.lastLoginAt, 'the link knows its last use');
    });

    t.test('unlink with its audit event; touch records the last login', async (t) => {
      const p = await h.profile();
      await links.createLinks({ esiaOid: 'un-1', profileIds: [p.id], method: 'manual', onlyIfUnlinked: true }, audit('un-1'));
      await links.touch('un-1', p.id, audit('un-1', 'test.login'));
      t.ok((await links.linkOfProfile(p.id))?.lastLoginAt instanceof Date);
      t.ok(await links.unlink('un-1', p.id, audit('un-1', 'test.unlink')));
      t.notOk(await links.unlink('un-1', p.id, audit('un-1', 'test.unlink')));
      t.equal(await links.linkOfProfile(p.id), null);
      const actions = await h.db.selectFrom('audit_events').select(['action', 'details']).where('actor', '=', 'esia:un-1').orderBy('id').execute();
      t.same(actions.map((a) => a.action), ['test.link', 'test.login', 'test.unlink']);
      t.same(actions[0]!.details, { n: 1 }, 'details round-trip as JSON');
    });
  });
}
