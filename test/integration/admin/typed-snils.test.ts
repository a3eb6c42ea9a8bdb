import t from 'tap';
import type { Kysely } from 'kysely';
import { ADMIN_TOKEN, adminClient, csvFile } from '../../helpers/admin.js';
import { startBroker } from '../../helpers/broker.js';
import { dumpDatabase, snilsIn } from '../../helpers/store-dump.js';
import { KNOWN_SNILS } from '../../fixtures/personal-data.js';

// An admin who pastes a SNILS into a free-text report filter or an oid lookup, or a caller that
// sends one as its request id, must not leave it in the audit trail: the fresh-clone CI found
// 112-233-445 95 in audit_events after the fuzz suite had sent it as a report's municipality.
t.test('SNILS typed into admin inputs or a request id is masked in the audit trail', async (t) => {
  const broker = await startBroker();
  t.teardown(() => broker.close());
  const get = (path: string, requestId?: string) =>
    fetch(`${broker.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(requestId ? { 'x-request-id': requestId } : {}) } });
  const spaced = encodeURIComponent(KNOWN_SNILS);

  const report = await get(`/admin/reports/logins?municipality=${spaced}&school=${encodeURIComponent('школа 11223344595')}`, '112-233-445-95');
  t.equal(report.status, 200, 'the report itself runs: a filter is not refused for looking like a number');
  t.not(report.headers.get('x-request-id'), '112-233-445-95', 'the caller\'s SNILS-shaped request id is replaced');
  t.equal((await get('/admin/links?esia_oid=11223344595')).status, 200);
  t.equal((await get('/admin/people/by-esia/11223344595')).status, 404);
  t.equal((await get('/admin/reports/outcomes?municipality=1000299353', 'edge-1')).status, 200);

  const events = await broker.deps.database.db.selectFrom('audit_events').select(['action', 'target', 'request_id', 'details']).where('action', 'in', ['report.read', 'link.read']).orderBy('id').execute();
  const detailsOf = (d: unknown) => (typeof d === 'string' ? JSON.parse(d) : d) as Record<string, unknown>;
  t.match(events.map((e) => ({ action: e.action, target: e.target, details: detailsOf(e.details) })), [
    { action: 'report.read', target: 'logins', details: { municipality: '[snils]', school: 'школа [snils]' } },
    { action: 'link.read', target: '[snils]' },
    { action: 'report.read', target: 'outcomes', details: { municipality: '1000299353' } },
  ], 'the events are kept, the SNILS in them masked; a number that is no SNILS is kept');
  t.equal(events.at(-1)!.request_id, 'edge-1', 'a sane caller id is kept');

  const rows = await dumpDatabase(broker.deps.database.db as unknown as Kysely<never>);
  t.same(rows.filter((r) => snilsIn(r.row).length > 0).map((r) => r.table), [], 'no table holds a SNILS in clear');
});

t.test('a SNILS in a name is refused where the name would be kept: client names, imported people', async (t) => {
  const broker = await startBroker();
  t.teardown(() => broker.close());
  const { call } = adminClient(broker.url);
  const client = await call<{ error: string; error_description: string }>('POST', '/admin/clients', { json: { client_id: 'typed-snils', client_name: `Дневник ${KNOWN_SNILS}`, redirect_uris: ['https://typed.example/cb'], regions: ['38'] } });
  t.equal(client.status, 400);
  t.match(client.body.error_description, /client_name: must not hold a SNILS/);
  const imported = await call<{ summary: Record<string, number> }>('POST', '/admin/profiles/import', {
    text: csvFile(['id', 'login', 'last_name', 'first_name', 'roles', 'school_ids', 'activated', 'region'], [['ts-1', 'ts.one', '11223344595', 'Иван', 'teacher', 'school-1', 'true', '38']]),
  });
  t.equal(imported.status, 200);
  t.same(imported.body.summary, { total: 1, created: 0, updated: 0, unchanged: 0, rejected: 1 }, 'the row is rejected, nothing imported');
  t.match(imported.text, /"field":"last_name","code":"bad_characters","message":"last_name: must not hold a SNILS/);
  const rows = await dumpDatabase(broker.deps.database.db as unknown as Kysely<never>);
  t.same(rows.filter((r) => snilsIn(r.row).length > 0).map((r) => r.table), [], 'no table holds a SNILS in clear');
});
