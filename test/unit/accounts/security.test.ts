import t from 'tap';
import { KNOWN_PASSWORD, KNOWN_SNILS } from '../../fixtures/personal-data.js';
import { createHarness, newSnils } from '../../helpers/accounts.js';
import { databaseBackends } from '../../helpers/backends.js';

/** The account security rules (docs/accounts.md, docs/SECURITY.md), at the domain level, on the real adapters. */
const WINDOW = 15 * 60_000;
const child = { lastName: 'Смирнова', firstName: 'Алиса', middleName: 'Олеговна', birthDate: '2013-10-01' };

for (const backend of databaseBackends()) {
  t.test(`security on ${backend.name}`, async (t) => {
    const handle = await backend.open();
    t.teardown(() => handle.close());
    const h = createHarness(handle, { limits: { perLogin: 5, perEsiaAccount: 10, perEsiaAccountPerDay: 20, perIp: 100, windowMs: WINDOW, concurrentPerEsiaAccount: 2, concurrentPerIp: 8 } });

    t.test('a Simplified account carrying a child\'s exact name and birth date, with no diary password, never gets a link', async (t) => {
      const victim = await h.profile({ ...child, roles: ['student'], email: 'alisa.mama@example.ru', emailConfirmed: true, snils: newSnils() });
      // Anyone can open a Simplified account with any name and birth date (the Arkhangelsk login page), and claim
      // the child's e-mail without verifying it.
      const impostor = h.person({ ...child, level: 'simplified', snilsVerified: false, emails: [{ value: 'alisa.mama@example.ru', verified: false }] });
      t.match(await h.accounts.resolve(impostor, h.ctx()), { kind: 'manual-link' });
      for (const password of ['', '123456', child.birthDate, 'alisa2013']) {
        t.notMatch(await h.accounts.manualLink(impostor, { login: victim.login, password, ip: '198.51.100.1' }, h.ctx()), { kind: 'linked' });
      }
      t.match(await h.accounts.resolve(impostor, h.ctx()), { kind: 'manual-link' }, 'still nothing after trying');
      t.same(await h.linksOf(impostor.oid), []);
      t.equal((await h.db.selectFrom('account_links').select('esia_oid').where('profile_id', '=', victim.id).execute()).length, 0, 'the child\'s profile is linked to nobody');
    });

    t.test('a linked ESIA account cannot be re-linked to another profile without an audited unlink', async (t) => {
      const snils = newSnils();
      const first = await h.profile({ snils });
      const second = await h.profile({ snils: null, roles: ['teacher'] });
      const person = h.person({ level: 'standard', snils, snilsVerified: true });
      t.match(await h.accounts.resolve(person, h.ctx()), { kind: 'linked', profile: { id: first.id } });

      const relink = await h.accounts.manualLink(person, { login: second.login, password: second.password, ip: '198.51.100.2' }, h.ctx());
      t.match(relink, { kind: 'deny', reason: 'link_failed', detail: 'esia_already_linked' }, 'right password, still refused');
      t.same((await h.linksOf(person.oid)).map((l) => l.profile_id), [first.id]);

      t.notOk(await h.accounts.unlink({ kind: 'person', esiaOid: 'someone-else' }, person.oid, first.id), 'nobody unlinks another person\'s account');
      t.ok(await h.accounts.unlink({ kind: 'person', esiaOid: person.oid }, person.oid, first.id, { requestId: 'req-unlink' }));
      t.notOk(await h.accounts.unlink({ kind: 'person', esiaOid: person.oid }, person.oid, first.id), 'twice is a no-op');
      t.match(await h.accounts.manualLink(person, { login: second.login, password: second.password, ip: '198.51.100.2' }, h.ctx()), { kind: 'linked', profile: { id: second.id } });
      t.same((await h.linksOf(person.oid)).map((l) => l.profile_id), [second.id]);

      const audit = (await h.auditOf(person.oid)).map((a) => [a.action, a.outcome, a.target]);
      t.same(audit, [
        ['link.create', 'linked', first.id],
        ['link.manual_attempt', 'refused', null],
        ['link.delete', 'ok', first.id],
        ['link.manual_attempt', 'linked', second.id],
      ]);
    });

    t.test('a profile linked to one ESIA account is not taken over by another, even with its password', async (t) => {
      const profile = await h.profile({ snils: null });
      const owner = h.person({ level: 'standard' });
      const other = h.person({ level: 'standard' });
      t.match(await h.accounts.manualLink(owner, { login: profile.login, password: profile.password, ip: '198.51.100.3' }, h.ctx()), { kind: 'linked' });
      const right = await h.accounts.manualLink(other, { login: profile.login, password: profile.password, ip: '198.51.100.3' }, h.ctx());
      const wrong = await h.accounts.manualLink(h.person({ level: 'standard' }), { login: `${profile.login}-nobody`, password: 'wrong', ip: '198.51.100.4' }, h.ctx());
      t.same(right, wrong, 'the right password on a profile linked elsewhere answers like a wrong one (no oracle)');
      t.same(right, { kind: 'invalid-credentials', attemptsLeft: 4 });
      t.match((await h.auditOf(other.oid)).at(-1), { outcome: 'refused', target: profile.id, reason: 'link_failed', details: { detail: 'profile_linked_elsewhere' } }, 'the audit keeps the reason');
      t.same(await h.linksOf(other.oid), []);
      t.ok(await h.accounts.unlink({ kind: 'admin', name: 'ops' }, owner.oid, profile.id), 'an admin may unlink');
      const row = await h.db.selectFrom('audit_events').selectAll().where('action', '=', 'link.delete').where('target', '=', profile.id).executeTakeFirstOrThrow();
      t.equal(row.actor, 'admin:ops');
    });

    t.test('50 wrong passwords for one login are refused after the limit; the right one is refused during lockout and accepted after', async (t) => {
      const target = await h.profile({ snils: null, password: KNOWN_PASSWORD });
      const owner = h.person({ level: 'standard' });
      const results: string[] = [];
      // From 50 ESIA accounts and 50 addresses: only the per-login counter can stop this.
      for (let i = 0; i < 50; i++) {
        const attacker = h.person({ level: 'standard' });
        const result = await h.accounts.manualLink(attacker, { login: target.login, password: `guess-${i}`, ip: `192.0.2.${i}` }, h.ctx());
        results.push(result.kind);
        h.clock.advance(1000);
      }
      t.same(results.slice(0, 4), Array(4).fill('invalid-credentials'));
      t.same(results.slice(4), Array(46).fill('locked'), 'locked from the 5th failure on');

      const during = await h.accounts.manualLink(owner, { login: target.login, password: KNOWN_PASSWORD, ip: '192.0.2.200' }, h.ctx());
      t.match(during, { kind: 'locked' }, 'the right password is refused during the lockout');
      const retry = during.kind === 'locked' ? during.retryAfterSeconds : 0;
      t.ok(retry > 0 && retry <= WINDOW / 1000, `bounded: retry after ${retry}s, never more than one window`);
      t.same(await h.linksOf(owner.oid), []);

      h.clock.advance(retry * 1000);
      t.match(await h.accounts.manualLink(owner, { login: target.login, password: KNOWN_PASSWORD, ip: '192.0.2.200' }, h.ctx()), { kind: 'linked', profile: { id: target.id } }, 'accepted once the window is over');

      const rows = JSON.stringify(await h.db.selectFrom('audit_events').selectAll().where('action', '=', 'link.manual_attempt').execute());
      t.notOk(rows.includes(KNOWN_PASSWORD) || rows.includes('guess-') || rows.includes(target.login), 'no password or login in the audit trail');
      t.notOk(rows.includes(KNOWN_SNILS));
    });

    t.test('lockouts cannot be extended: attempts during one are not counted', async (t) => {
      const target = await h.profile({ snils: null });
      for (let i = 0; i < 5; i++) await h.accounts.manualLink(h.person(), { login: target.login, password: 'x', ip: `192.0.2.${i}` }, h.ctx());
      const first = await h.accounts.manualLink(h.person(), { login: target.login, password: 'x', ip: '192.0.2.9' }, h.ctx());
      h.clock.advance(10 * 60_000);
      for (let i = 0; i < 20; i++) await h.accounts.manualLink(h.person(), { login: target.login, password: 'x', ip: '192.0.2.9' }, h.ctx());
      const later = await h.accounts.manualLink(h.person(), { login: target.login, password: 'x', ip: '192.0.2.9' }, h.ctx());
      t.ok(first.kind === 'locked' && later.kind === 'locked');
      if (first.kind === 'locked' && later.kind === 'locked') t.ok(later.retryAfterSeconds <= first.retryAfterSeconds - 599, 'the end did not move');
    });

    t.test('one ESIA account guessing across many logins is stopped by its own counter', async (t) => {
      const guesser = h.person();
      const kinds: string[] = [];
      for (let i = 0; i < 12; i++) {
        const target = await h.profile({ snils: null });
        kinds.push((await h.accounts.manualLink(guesser, { login: target.login, password: 'nope', ip: '192.0.2.77' }, h.ctx())).kind);
      }
      t.same(kinds, [...Array(9).fill('invalid-credentials'), 'locked', 'locked', 'locked']);
      const audit = await h.auditOf(guesser.oid);
      t.equal(audit.length, 12, 'every attempt audited');
      t.match(audit.at(-1), { outcome: 'locked', details: { lockedBy: 'esia' } });
    });
  });
}
