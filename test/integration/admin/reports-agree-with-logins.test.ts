import t from 'tap';
import { parse } from 'csv-parse/sync';
import { adminClient, csvFile } from '../../helpers/admin.js';
import { flowLogin, reasonOf, startFlowEnvironment } from '../../helpers/login-flow.js';
import { isLoginOutcome } from '../../../src/policy/outcomes.js';

// Acceptance: after a scripted series of logins through the ESIA emulator — people
// who log in, one who never does, people refused — the admin reports say what the audit
// trail says. The directory comes in through the admin import, as an administrator's would.
type Row = Record<string, string | number | null>;
type AuditEvent = { at: string; action: string; target: string | null; outcome: string; reason: string | null; region: string | null };

const env = await startFlowEnvironment({ region: '38' });
t.teardown(() => env.close());
const login = flowLogin(env);
const { call } = adminClient(env.broker.url);
// Report days are the region's (38: Irkutsk, UTC+8), not UTC's: near midnight they differ.
const irkutskDay = (at: Date | string) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Irkutsk' }).format(new Date(at));
const today = irkutskDay(new Date());

t.test('reports agree with the audit trail after logins through the emulator', async (t) => {
  const header = ['id', 'login', 'last_name', 'first_name', 'middle_name', 'birth_date', 'snils', 'roles', 'school_ids', 'activated', 'region'];
  const imported = await call<{ summary: Record<string, number> }>('POST', '/admin/profiles/import', {
    text: csvFile(header, [
      ['r-smirnova', 'smirnova.e', 'Смирнова', 'Елена', 'Викторовна', '12.05.1984', '145-278-903 84', 'parent', 'school-1', 'true', '38'],
      ['r-kuznetsov', 'kuznetsov.a', 'Кузнецов', 'Андрей', 'Сергеевич', '03.11.1979', '153-624-871 70', 'teacher', 'school-2', 'true', '38'],
      ['r-popov', 'popov.s', 'Попов', 'Сергей', 'Викторович', '15.06.1988', '128-456-039 68', 'parent', '', 'true', '38'],
      ['r-petrova', 'petrova.n', 'Петрова', 'Наталья', 'Юрьевна', '30.01.1987', '190-385-627 87', 'parent', 'school-1', 'true', '38'],
      ['r-tikhonova', 'tikhonova.a', 'Тихонова', 'Анна', '', '', '', 'parent', 'school-1', 'true', '38'],
    ]),
  });
  t.same(imported.body.summary, { total: 5, created: 5, updated: 0, unchanged: 0, rejected: 0 });

  // The script: two logins, one login, and two refusals with different reasons.
  for (const oid of ['1000000101', '1000000101', '1000000102']) {
    const result = await login(oid);
    t.ok(result.clientRedirect, `${oid} is sent back to the diary with a code`);
  }
  const notAttached = await login('1000000110');
  t.equal(reasonOf(notAttached.page), 'profile_not_attached');
  const otherName = await login('1000000109');
  t.equal(reasonOf(otherName.page), 'name_snils_mismatch');
  // Refused at ESIA itself: the callback, not the resolution leg, records it.
  const refused = await login('1000000102', { decision: 'deny' });
  t.equal(reasonOf(refused.page), 'consent_refused');

  const audit = (await call<{ events: AuditEvent[] }>('GET', '/admin/audit?action=login&limit=500')).body.events;
  t.equal(audit.length, 6, 'one login event per attempt');
  const successes = (profileId: string) => audit.filter((e) => e.outcome === 'success' && e.target === profileId).map((e) => e.at).sort();

  t.test('ESIA login activity per person matches the successful login events', async (t) => {
    const report = await call<{ rows: Row[] }>('GET', '/admin/reports/logins?region=38');
    t.same(report.body.rows.map((r) => [r['profile_id'], r['esia_login'], r['esia_login_count']]), [
      ['r-kuznetsov', 'yes', 1],
      ['r-petrova', 'no', 0],
      ['r-popov', 'no', 0],
      ['r-smirnova', 'yes', 2],
      ['r-tikhonova', 'no', 0],
    ]);
    for (const row of report.body.rows) {
      const seen = successes(String(row['profile_id']));
      t.equal(row['esia_login_count'], seen.length, `${row['profile_id']}: count as in the audit trail`);
      t.equal(row['first_esia_login'], seen[0] ?? null, `${row['profile_id']}: first login as in the audit trail`);
      t.equal(row['last_esia_login'], seen.at(-1) ?? null, `${row['profile_id']}: last login as in the audit trail`);
    }
    const teachers = await call<{ rows: Row[] }>('GET', `/admin/reports/logins?region=38&role=teacher&from=${today}&to=${today}`);
    t.same(teachers.body.rows.map((r) => r['profile_id']), ['r-kuznetsov']);
    const school = await call('GET', '/admin/reports/logins?school=school-1&format=csv');
    const records = parse(school.text, { columns: true, bom: true }) as Array<Record<string, string>>;
    t.same(records.map((r) => [r['profile_id'], r['esia_login'], r['esia_login_count']]), [['r-petrova', 'no', '0'], ['r-smirnova', 'yes', '2'], ['r-tikhonova', 'no', '0']]);
  });

  t.test('outcomes by day, region and reason match the login events', async (t) => {
    const report = await call<{ rows: Row[] }>('GET', `/admin/reports/outcomes?region=38&from=${today}&to=${today}`);
    const fromAudit = new Map<string, number>();
    for (const e of audit) {
      const key = `${irkutskDay(e.at)}|${e.region}|${e.reason ?? e.outcome}`;
      fromAudit.set(key, (fromAudit.get(key) ?? 0) + 1);
    }
    t.same(new Map(report.body.rows.map((r) => [`${r['day']}|${r['region']}|${r['outcome']}`, r['count']])), fromAudit);
    t.same(report.body.rows.map((r) => [r['outcome'], r['count']]), [['consent_refused', 1], ['name_snils_mismatch', 1], ['profile_not_attached', 1], ['success', 3]]);
  });

  t.test('every outcome /metrics counted is in the outcomes report, with the same count', async (t) => {
    const metrics = await (await fetch(`${env.broker.url}/metrics`)).text();
    const counted = new Map<string, number>();
    for (const m of metrics.matchAll(/^esia_broker_login_outcomes_total\{outcome="([a-z_]+)",region="([^"]+)"\} (\d+)$/gm)) counted.set(`${m[2]}|${m[1]}`, Number(m[3]));
    t.ok(counted.has('38|consent_refused'), 'the metric counted the refusal at ESIA');
    const report = await call<{ rows: Row[] }>('GET', '/admin/reports/outcomes');
    const reported = new Map<string, number>();
    for (const r of report.body.rows) {
      const key = `${r['region'] ?? 'unknown'}|${r['outcome']}`;
      reported.set(key, (reported.get(key) ?? 0) + Number(r['count']));
    }
    t.same(reported, counted, 'one list of outcomes, counted twice alike');
    t.ok([...reported.keys()].every((key) => isLoginOutcome(key.split('|')[1]!)), 'every reported outcome is a known one');
  });

  t.test('data completeness lists the profile with no SNILS and no birth date', async (t) => {
    const report = await call<{ rows: Row[] }>('GET', '/admin/reports/completeness?region=38');
    t.same(report.body.rows.map((r) => [r['profile_id'], r['has_snils'], r['has_birth_date'], r['activated']]), [['r-tikhonova', 'no', 'no', 'yes']]);
  });
});
