import t from 'tap';
import { ADMIN_TOKEN, adminClient, cookieJar, csvFile } from '../../helpers/admin.js';
import { startBroker } from '../../helpers/broker.js';

t.test('/admin/person: the person as JSON, erasure only after the id is typed again', async (t) => {
  const broker = await startBroker();
  t.teardown(() => broker.close());
  const imported = await adminClient(broker.url).call('POST', '/admin/profiles/import', {
    text: csvFile(['id', 'login', 'last_name', 'first_name', 'roles', 'school_ids', 'activated', 'region', 'birth_date', 'email'], [['pp-1', 'pp.login', 'Андреева', 'Кармела', 'teacher', 'school-7', 'true', '38', '1980-02-01', 'karmela@example.ru']]),
  });
  t.equal(imported.status, 200);
  const b = cookieJar(broker.url);
  t.equal((await b.request('GET', '/admin/person?profile=pp-1')).status, 401, 'no session, no data');
  t.equal(await b.signIn(ADMIN_TOKEN), 303);

  const shown = await b.request('GET', '/admin/person?profile=pp-1');
  t.equal(shown.status, 200);
  t.match(shown.text, /&quot;last_name&quot;: &quot;Андреева&quot;/, 'the JSON, escaped');
  t.match(shown.text, /Удалить данные человека/);
  const reads = await broker.deps.database.db.selectFrom('audit_events').select(['actor', 'target']).where('action', '=', 'person.read').execute();
  t.same(reads, [{ actor: 'admin:page', target: 'pp-1' }], 'the read is audited');
  t.equal((await b.request('GET', '/admin/person?esia_oid=42')).status, 404, 'an unknown account says so');

  const xsrf = b.field(shown.text, 'xsrf');
  const wrong = await b.request('POST', '/admin/person/erase', { xsrf, by: 'profile', value: 'pp-1', confirm: 'pp-2' });
  t.equal(wrong.status, 400);
  t.match(wrong.text, /Подтверждение не совпало/);
  const stale = await b.request('POST', '/admin/person/erase', { xsrf: 'forged', by: 'profile', value: 'pp-1', confirm: 'pp-1' });
  t.equal(stale.status, 303, 'a form without the session token does nothing');
  const foreign = await b.request('POST', '/admin/person/erase', { xsrf, by: 'profile', value: 'pp-1', confirm: 'pp-1' }, { origin: 'https://evil.example' });
  t.equal(foreign.status, 403, 'a post from another site is refused');
  const still = await broker.deps.database.db.selectFrom('profiles').select('last_name').where('id', '=', 'pp-1').executeTakeFirstOrThrow();
  t.equal(still.last_name, 'Андреева', 'nothing erased so far');

  const erased = await b.request('POST', '/admin/person/erase', { xsrf, by: 'profile', value: 'pp-1', confirm: 'pp-1' });
  t.equal(erased.status, 200);
  t.match(erased.text, /Данные удалены/);
  const row = await broker.deps.database.db.selectFrom('profiles').select(['last_name', 'email', 'birth_date', 'login']).where('id', '=', 'pp-1').executeTakeFirstOrThrow();
  t.same(row, { last_name: '', email: null, birth_date: null, login: 'erased:pp-1' });
});
