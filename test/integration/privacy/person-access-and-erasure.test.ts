import t from 'tap';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { REGISTER } from '../../../src/admin/personal-data-register.js';
import { flowLogin, startFlowEnvironment } from '../../helpers/login-flow.js';
import { adminClient } from '../../helpers/admin.js';
import { linkFailuresKey, loginCounterId } from '../../../src/accounts/keys.js';
import { runCli } from '../../../src/cli/run.js';
import { dumpDatabase, dumpRedis, snilsForms } from '../../helpers/store-dump.js';

// One person with a full history (linked by SNILS, two logins, tokens, an SSO session), then
// what the admin sees about them, then their erasure: afterwards no store holds them.
const env = await startFlowEnvironment();
t.teardown(() => env.close());
const login = flowLogin(env);
const admin = adminClient(env.broker.url);
const db = env.broker.deps.database.db;

const OID = '1000000101';
const person = { lastName: 'Смирнова', firstName: 'Елена', middleName: 'Викторовна', birthDate: '1984-05-12', snils: '145-278-903 84', email: 'e.smirnova.diary@example.ru', login: 'smirnova.elena.84' };
const profile = await env.harness.profile({ ...person, roles: ['parent'], region: '38' });
const first = await login(OID);
const tokens = await first.tokens();
const second = await login(OID);
await second.tokens();

t.test('every claim the tokens and /userinfo carry is in the register', async (t) => {
  const registered = new Set(REGISTER.filter((e) => e.store === 'token').flatMap((e) => e.fields));
  // Protocol claims: about the token, not the person.
  const protocol = new Set(['iss', 'aud', 'azp', 'iat', 'exp', 'jti', 'nonce', 'at_hash', 'client_id', 'scope']);
  const userinfo = (await (await fetch(`${env.broker.url}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).json()) as Record<string, unknown>;
  for (const [what, claims] of [['id_token', decodeJwt(tokens.id_token!)], ['access token', decodeJwt(tokens.access_token)], ['/userinfo', userinfo]] as const) {
    const keys = Object.keys(claims);
    t.ok(keys.includes('sub'), `${what} read`);
    t.same(keys.filter((k) => !registered.has(k) && !protocol.has(k)), [], `${what}: no unregistered claim`);
  }
});

t.test('everything stored about the person, by profile id and by ESIA oid; the read is audited', async (t) => {
  const byProfile = await admin.call<Record<string, unknown[]>>('GET', `/admin/people/${profile.id}`);
  t.equal(byProfile.status, 200);
  t.equal(byProfile.headers.get('cache-control'), 'no-store');
  t.match(byProfile.body.profiles, [{ id: profile.id, last_name: 'Смирнова', birth_date: '1984-05-12', email: person.email, login: person.login, has_snils: true }]);
  t.match(byProfile.body.links, [{ esia_oid: OID, profile_id: profile.id, method: 'snils' }]);
  t.ok(byProfile.body.grants!.length >= 2, 'both logins\' grants');
  t.notMatch(byProfile.text, /token_hash|refresh_token|"access_token"/, 'grants, not tokens');
  t.equal(byProfile.body.logins!.filter((e) => (e as { action: string }).action === 'login').length, 2, 'login history');
  t.ok(byProfile.body.audit!.some((e) => (e as { action: string }).action === 'link.create'), 'audit history');
  t.notMatch(byProfile.text, /snils_hmac|password_hash/, 'no SNILS hash or password hash');

  const byOid = await admin.call<Record<string, unknown[]>>('GET', `/admin/people/by-esia/${OID}`);
  t.equal(byOid.status, 200);
  t.match(byOid.body.profiles, [{ id: profile.id }]);
  const reads = await db.selectFrom('audit_events').select(['target', 'actor']).where('action', '=', 'person.read').orderBy('id').execute();
  t.same(reads, [{ target: profile.id, actor: 'admin:api' }, { target: `esia:${OID}`, actor: 'admin:api' }], 'each read is audited');

  t.equal((await admin.call('GET', '/admin/people/no-such-profile')).status, 404);
  t.equal((await admin.call('GET', '/admin/people/by-esia/not-digits')).status, 400);
  t.equal((await admin.call('GET', `/admin/people/${profile.id}`, { token: null })).status, 401, 'behind the admin token');
});

t.test('erasure leaves nothing of the person in Postgres or Redis', async (t) => {
  const outcomesBefore = await admin.call<{ rows: unknown[] }>('GET', '/admin/reports/outcomes?region=38');
  const loginsBefore = await db.selectFrom('audit_events').select((eb) => eb.fn.countAll<string>().as('n')).where('action', '=', 'login').executeTakeFirstOrThrow();
  const erased = await admin.call<Record<string, number | string>>('DELETE', `/admin/people/${profile.id}`);
  t.equal(erased.status, 200);
  t.match(erased.body, { profiles: 1, links: 1, grants: 2 });
  t.equal(erased.body['sessions'], 2, 'both SSO sessions (two browsers) ended');
  t.match(String(erased.body['erased']), /^~/, 'the answer names the pseudonym, not the person');

  // The grants are gone: the diary's tokens stop working within the grant cache's bound (1 s,
  // docs/PERFORMANCE.md: the admin writes the database, and the token side hears of it from the
  // change feed), the refresh token at once (its rotation checks the grant's row as it writes).
  const erasedAt = Date.now();
  const statuses: number[] = [];
  for (;;) {
    statuses.push((await fetch(`${env.broker.url}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status);
    if (statuses.at(-1) === 401 || Date.now() - erasedAt >= 1000) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  t.equal(statuses.at(-1), 401, `the access token is refused within 1 s (answers until then: ${statuses.join(', ')})`);
  await t.rejects(oidc.refreshTokenGrant(env.config, tokens.refresh_token!), 'the refresh token is refused');

  const loginsAfter = await db.selectFrom('audit_events').select((eb) => eb.fn.countAll<string>().as('n')).where('action', '=', 'login').executeTakeFirstOrThrow();
  t.equal(loginsAfter.n, loginsBefore.n, 'login counts stay right (events pseudonymised, not deleted)');
  const outcomesAfter = await admin.call<{ rows: unknown[] }>('GET', '/admin/reports/outcomes?region=38');
  t.ok(outcomesBefore.body.rows.length > 0, 'the outcomes report counted the logins');
  t.same(outcomesAfter.body.rows, outcomesBefore.body.rows, 'the outcomes report counts the same after the erasure');

  const needles = [person.lastName, person.firstName, person.middleName, person.birthDate, '12.05.1984', person.email, person.login, OID, ...snilsForms(person.snils)];
  const rows = await dumpDatabase(db as never);
  t.ok(rows.length > 10, `dumped Postgres (${rows.length} rows)`);
  for (const needle of needles) t.same(rows.filter((r) => r.row.includes(needle)).map((r) => r.table), [], `no "${needle}" in any table`);

  const redisUrl = env.broker.config.storage.redisUrl;
  if (!redisUrl) {
    t.comment('REDIS_URL not set: the in-process state store cannot be dumped; Redis part skipped');
    return;
  }
  const entries = await dumpRedis(redisUrl, `${env.broker.config.storage.redisKeyPrefix}*`);
  t.ok(entries.length > 0, `dumped Redis (${entries.length} keys)`);
  for (const needle of needles) t.same(entries.filter((e) => e.key.includes(needle) || e.value.includes(needle)).map((e) => e.key), [], `no "${needle}" in any Redis key or value`);
  t.same(entries.filter((e) => e.ttl < 0).map((e) => e.key), [], 'every key expires');
});

t.test('a profile whose ESIA account was unlinked first: the erasure finds the account in the trail', async (t) => {
  const oid = '1000000107';
  const someone = { lastName: 'Соколова', firstName: 'Ольга', middleName: 'Николаевна', birthDate: '1982-08-22', snils: '171-834-205 61', email: 'o.sokolova.diary@example.ru', login: 'sokolova.olga.82' };
  const theirs = await env.harness.profile({ ...someone, roles: ['parent'], region: '38' });
  await (await login(oid)).tokens();
  t.equal((await admin.call('DELETE', `/admin/links/${oid}/${theirs.id}`)).status, 204, 'unlinked by an admin');
  const erased = await admin.call<Record<string, number | string>>('DELETE', `/admin/people/${theirs.id}`);
  t.equal(erased.status, 200);
  t.match(erased.body, { profiles: 1, links: 0, sessions: 1 }, 'no link left to delete; the account\'s SSO session still ended');

  const needles = [someone.lastName, someone.firstName, someone.middleName, someone.birthDate, '22.08.1982', someone.email, someone.login, oid, ...snilsForms(someone.snils)];
  const rows = await dumpDatabase(db as never);
  for (const needle of needles) t.same(rows.filter((r) => r.row.includes(needle)).map((r) => r.table), [], `no "${needle}" in any table`);
  const redisUrl = env.broker.config.storage.redisUrl;
  if (!redisUrl) return;
  const entries = await dumpRedis(redisUrl, `${env.broker.config.storage.redisKeyPrefix}*`);
  for (const needle of needles) t.same(entries.filter((e) => e.key.includes(needle) || e.value.includes(needle)).map((e) => e.key), [], `no "${needle}" in any Redis key or value`);
});

t.test('erasure deletes the manual-link counters kept under the person\'s login and ESIA oid', async (t) => {
  const { state, storeKey } = env.broker.deps;
  const oid = '1000000109';
  const someone = { lastName: 'Орлова', firstName: 'Анна', middleName: 'Игоревна', birthDate: '1986-03-14', snils: '163-492-871 93', email: 'a.orlova.diary@example.ru', login: 'Orlova.Anna.86' };
  const theirs = await env.harness.profile({ ...someone, roles: ['parent'], region: '38' });
  const count = (key: string) => state.incrementAllBelow([{ key, limit: 10, windowMs: 60_000 }]);
  const loginKey = linkFailuresKey(storeKey, 'login', loginCounterId(someone.login));
  const accountKeys = [linkFailuresKey(storeKey, 'esia', oid), linkFailuresKey(storeKey, 'esia-day', oid)];
  // Shared with other people: an address, another account.
  const othersKeys = [linkFailuresKey(storeKey, 'ip', '127.0.0.1'), linkFailuresKey(storeKey, 'esia', '1000000110')];
  for (const key of [loginKey, ...accountKeys, ...othersKeys]) await count(key);

  t.equal((await admin.call('DELETE', `/admin/people/${theirs.id}`)).status, 200, 'erased by profile');
  t.equal(await state.get(loginKey), null, 'the counter of the profile\'s login is gone');
  t.equal((await admin.call('DELETE', `/admin/people/by-esia/${oid}`)).status, 200, 'erased by ESIA oid');
  for (const key of accountKeys) t.equal(await state.get(key), null, 'the account\'s counters are gone');
  for (const key of othersKeys) t.equal(await state.get(key), '1', 'counters of an address or another account stay');
  for (const key of othersKeys) await state.delete(key);
});

t.test('esia-broker person show / person erase (CLI, same functions)', { skip: env.broker.config.storage.databaseUrl ? false : 'DATABASE_URL not set: the CLI cannot reach an in-memory database' }, async (t) => {
  const other = await env.harness.profile({ lastName: 'Кузнецов', firstName: 'Андрей', middleName: 'Сергеевич', birthDate: '1979-11-03', snils: '153-624-871 70', roles: ['parent'], region: '38' });
  await (await login('1000000102')).tokens();
  const { config } = env.broker;
  const cliEnv = {
    NODE_ENV: 'test', DATA_DIR: config.storage.dataDir, DATABASE_URL: config.storage.databaseUrl, REDIS_URL: config.storage.redisUrl, REDIS_KEY_PREFIX: config.storage.redisKeyPrefix,
    COOKIE_SECRET: 'test-cookie-secret-0123456789abcdef', SNILS_HMAC_KEY: 'test-snils-hmac-key-0123456789abcdef', KEY_ENCRYPTION_KEY: 'test-key-encryption-key-0123456789',
  };
  const run = async (argv: string[]) => {
    let out = '';
    let err = '';
    const code = await runCli(argv, { out: (s) => void (out += s), err: (s) => void (err += s), read: async () => '' }, cliEnv);
    return { code, out, err };
  };
  const shown = await run(['person', 'show', other.id]);
  t.equal(shown.code, 0, shown.err);
  t.match(JSON.parse(shown.out), { profiles: [{ id: other.id, last_name: 'Кузнецов' }], links: [{ esia_oid: '1000000102' }] });
  t.equal((await run(['person', 'show', other.id, '--esia-oid', '1'])).code, 2, 'one way to name the person');
  const erased = await run(['person', 'erase', '--esia-oid', '1000000102']);
  t.equal(erased.code, 0, erased.err);
  t.match(JSON.parse(erased.out), { profiles: 1, links: 1, grants: 1, sessions: config.storage.redisUrl ? 1 : 0 });
  const row = await db.selectFrom('profiles').select(['last_name', 'login', 'snils_hmac']).where('id', '=', other.id).executeTakeFirstOrThrow();
  t.same(row, { last_name: '', login: `erased:${other.id}`, snils_hmac: null }, 'the personal fields are gone');
  const actors = await db.selectFrom('audit_events').select('actor').where('actor', 'like', 'admin:cli:%').where('action', 'in', ['person.read', 'person.erase']).execute();
  t.equal(actors.length, 2, 'the CLI read and the erasure are audited with the OS user');
});
