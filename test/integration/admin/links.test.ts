import t from 'tap';
import { adminClient, csvFile } from '../../helpers/admin.js';
import { startBroker } from '../../helpers/broker.js';

type Link = { esia_oid: string; profile_id: string; method: string; is_default: boolean; created_at: string; last_login_at: string | null };
type AuditEvents = { events: Array<{ actor: string; action: string; target: string; outcome: string; reason: string | null; request_id: string; details: Record<string, unknown> }> };

t.test('admin links: list, link, unlink', async (t) => {
  const broker = await startBroker();
  t.teardown(() => broker.close());
  const { call } = adminClient(broker.url);
  const imported = await call('POST', '/admin/profiles/import', {
    text: csvFile(['id', 'login', 'last_name', 'first_name', 'roles', 'school_ids', 'activated', 'region'], [
      ['lp-parent', 'lp.parent', 'Орлова', 'Анна', 'parent', 'school-1', 'true', '52'],
      ['lp-teacher', 'lp.teacher', 'Орлова', 'Анна', 'teacher', 'school-1', 'true', '52'],
      ['lp-other', 'lp.other', 'Орлов', 'Олег', 'parent', 'school-1', 'true', '52'],
    ]),
  });
  t.equal(imported.status, 200);

  t.test('auth is required', async (t) => {
    for (const [method, path] of [['GET', '/admin/links?esia_oid=1'], ['POST', '/admin/links'], ['DELETE', '/admin/links/1/lp-parent']] as const) {
      const json = method === 'POST' ? { esia_oid: '1', profile_id: 'lp-parent' } : undefined;
      t.equal((await call(method, path, { json, token: null })).status, 401, `${method} ${path} without a token`);
      t.equal((await call(method, path, { json, token: 'nope'.repeat(8) })).status, 401, `${method} ${path} with a wrong token`);
    }
    t.same((await call<{ links: Link[] }>('GET', '/admin/links?esia_oid=1')).body.links, [], 'nothing was linked');
  });

  t.test('validation errors are named', async (t) => {
    t.match((await call('GET', '/admin/links')).body, { error: 'invalid_request', error_description: 'give exactly one of esia_oid or profile_id' });
    t.match((await call('GET', '/admin/links?esia_oid=1&profile_id=lp-parent')).body, { error_description: 'give exactly one of esia_oid or profile_id' });
    t.match((await call('GET', '/admin/links?esia_oid=abc')).body, { error_description: 'esia_oid: must be an ESIA oid (digits)' });
    t.match((await call('POST', '/admin/links', { json: { esia_oid: '1000000201' } })).body, { error_description: /profile_id: / });
    t.match((await call('POST', '/admin/links', { json: { esia_oid: 'x', profile_id: 'bad id' } })).body, { error_description: /esia_oid: must be an ESIA oid \(digits\); profile_id: must be a profile id/ });
    t.equal((await call('POST', '/admin/links', { json: { esia_oid: '1000000201', profile_id: 'nobody' } })).status, 404);
  });

  t.test('an admin links one ESIA account to two profiles; listing by either side', async (t) => {
    const first = await call<{ link: Link }>('POST', '/admin/links', { json: { esia_oid: '1000000201', profile_id: 'lp-parent' } });
    t.equal(first.status, 201);
    t.match(first.body.link, { esia_oid: '1000000201', profile_id: 'lp-parent', method: 'admin', is_default: false, last_login_at: null });
    t.equal((await call('POST', '/admin/links', { json: { esia_oid: '1000000201', profile_id: 'lp-parent' } })).status, 200, 'the same link again: nothing to do');
    t.equal((await call('POST', '/admin/links', { json: { esia_oid: '1000000201', profile_id: 'lp-teacher' } })).status, 201);
    const byOid = await call<{ links: Link[] }>('GET', '/admin/links?esia_oid=1000000201');
    t.same(byOid.body.links.map((l) => l.profile_id).sort(), ['lp-parent', 'lp-teacher']);
    const byProfile = await call<{ links: Link[] }>('GET', '/admin/links?profile_id=lp-teacher');
    t.same(byProfile.body.links.map((l) => l.esia_oid), ['1000000201']);
    t.match((await call('GET', '/admin/profiles/lp-parent')).body, { link: { esia_oid: '1000000201', method: 'admin' } });
  });

  t.test('a profile held by another ESIA account is never taken over', async (t) => {
    const refused = await call('POST', '/admin/links', { json: { esia_oid: '1000000202', profile_id: 'lp-parent' } });
    t.equal(refused.status, 409);
    t.match(refused.body, { error: 'conflict', error_description: 'profile lp-parent is linked to another ESIA account; unlink it first' });
    t.same((await call<{ links: Link[] }>('GET', '/admin/links?esia_oid=1000000202')).body.links, []);
    const audit = await call<AuditEvents>('GET', '/admin/audit?action=link.create&outcome=refused');
    t.match(audit.body.events[0], { actor: 'admin:api', target: 'lp-parent', reason: 'link_failed', details: { conflict: 'profile_already_linked', esiaOid: '1000000202' } });
  });

  t.test('unlink goes through the accounts domain with the admin as actor', async (t) => {
    const removed = await call('DELETE', '/admin/links/1000000201/lp-parent');
    t.equal(removed.status, 204);
    t.equal((await call('DELETE', '/admin/links/1000000201/lp-parent')).status, 404);
    t.match((await call('DELETE', '/admin/links/x/lp-parent')).body, { error_description: /esia_oid: must be an ESIA oid/ });
    t.same((await call<{ links: Link[] }>('GET', '/admin/links?profile_id=lp-parent')).body.links, []);
    const now = await call('POST', '/admin/links', { json: { esia_oid: '1000000202', profile_id: 'lp-parent' } });
    t.equal(now.status, 201, 'after the unlink the profile can be linked to another account');
    const audit = await call<AuditEvents>('GET', '/admin/audit?action=link.delete');
    t.match(audit.body.events[0], { actor: 'admin:api', target: 'lp-parent', outcome: 'ok', request_id: removed.headers.get('x-request-id'), details: { esiaOid: '1000000201' } });
  });

  t.test('every call above left its audit event', async (t) => {
    const all = await call<AuditEvents>('GET', '/admin/audit?actor=admin:api&limit=500');
    const actions = new Set(all.body.events.map((e) => e.action));
    for (const action of ['profile.import', 'profile.create', 'link.create', 'link.read', 'link.delete', 'profile.read']) t.ok(actions.has(action), action);
  });
});
