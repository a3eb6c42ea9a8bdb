import t from 'tap';
import { ADMIN_TOKEN, adminClient, cookieJar } from '../../helpers/admin.js';
import { startBroker } from '../../helpers/broker.js';
import { runCli } from '../../../src/cli/run.js';

// Retention deletes login events older than RETENTION_LOGIN_EVENTS_DAYS, so a report counted from
// them can see no further back: each report says which days its rows stand for (API, page, CLI).
const DAY = 24 * 3600 * 1000;
const day = (at: number) => new Date(at).toISOString().slice(0, 10);
const ru = (d: string) => `${d.slice(8, 10)}.${d.slice(5, 7)}.${d.slice(0, 4)}`;

const broker = await startBroker({ env: { RETENTION_LOGIN_EVENTS_DAYS: '30' } });
t.teardown(() => broker.close());
const admin = adminClient(broker.url);
const now = Date.now();
const firstKept = day(now - 29 * DAY);

t.test('the API states the window of each report', async (t) => {
  const whole = await admin.call<{ covers: unknown }>('GET', '/admin/reports/outcomes?region=38');
  t.equal(whole.status, 200);
  t.same(whole.body.covers, { from: firstKept, to: day(now), retention_days: 30, cut_by_retention: true }, 'no period asked: as far back as retention keeps');
  const recent = day(now - 10 * DAY);
  const inside = await admin.call<{ covers: unknown }>('GET', `/admin/reports/logins?from=${recent}&to=${day(now)}`);
  t.same(inside.body.covers, { from: recent, to: day(now), retention_days: 30, cut_by_retention: false }, 'a period inside the window is the window');
  const old = await admin.call<{ covers: unknown }>('GET', `/admin/reports/logins?from=${day(now - 100 * DAY)}&to=${day(now - 20 * DAY)}`);
  t.same(old.body.covers, { from: firstKept, to: day(now - 20 * DAY), retention_days: 30, cut_by_retention: true }, 'a period reaching past retention is cut, and says so');
  const snapshot = await admin.call<{ covers: { as_of: string } }>('GET', '/admin/reports/completeness');
  t.match(snapshot.body.covers, { as_of: /^\d{4}-\d\d-\d\dT/ }, 'the directory report is as of now');
});

t.test('the /admin page says it above the table', async (t) => {
  const b = cookieJar(broker.url);
  t.equal(await b.signIn(ADMIN_TOKEN), 303);
  const page = await b.request('GET', '/admin?report=outcomes');
  t.equal(page.status, 200);
  t.match(page.text, `Отчёт охватывает входы с ${ru(firstKept)} по ${ru(day(now))}.`);
  t.match(page.text, 'Входы старше 30 дн. удалены по сроку хранения');
  const inside = await b.request('GET', `/admin?report=logins&from=${day(now - 5 * DAY)}`);
  t.notMatch(inside.text, 'удалены по сроку хранения', 'a period inside the window is not said to be cut');
});

t.test('the CLI says it on stderr, the rows stay on stdout', { skip: broker.config.storage.databaseUrl ? false : 'DATABASE_URL not set: the CLI cannot reach an in-memory database' }, async (t) => {
  const { config } = broker;
  let out = '';
  let err = '';
  const code = await runCli(['report', 'outcomes', '--region', '38'], { out: (s) => void (out += s), err: (s) => void (err += s), read: async () => '' }, {
    NODE_ENV: 'test', DATA_DIR: config.storage.dataDir, DATABASE_URL: config.storage.databaseUrl, RETENTION_LOGIN_EVENTS_DAYS: '30',
    COOKIE_SECRET: 'test-cookie-secret-0123456789abcdef', SNILS_HMAC_KEY: 'test-snils-hmac-key-0123456789abcdef', KEY_ENCRYPTION_KEY: 'test-key-encryption-key-0123456789',
  });
  t.equal(code, 0, err);
  t.ok(Array.isArray(JSON.parse(out)), 'stdout is the rows');
  t.match(err, `covers: {"from":"${firstKept}","to":"${day(now)}","retention_days":30,"cut_by_retention":true}`);
});
