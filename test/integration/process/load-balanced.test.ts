import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { createPostgresClientRepo } from '../../../src/store/postgres/clients-repo.js';
import { migrateToLatest, openDatabase } from '../../../src/store/postgres/database.js';
import { createHarness } from '../../helpers/accounts.js';
import { createTestDatabaseUrl, uniqueSuffix } from '../../helpers/backends.js';
import { ALL_TEST_SCOPES, Browser, formFields, passEsia, scratchDir, sharedDevKeys, startTestEmulator } from '../../helpers/emulator.js';
import { haproxyBin, startHaproxy } from '../../helpers/haproxy.js';
import { registerClient, type TestClient } from '../../helpers/oidc.js';
import { freePort } from '../../helpers/private-redis.js';
import { ROOT, spawnBroker, type SpawnedBroker } from '../../helpers/spawn-broker.js';

// Three broker processes (src/main.ts, as `npm start` runs it) behind HAProxy, round-robin and
// no stickiness, sharing one PostgreSQL database and one Redis key prefix. Everything a login
// keeps between requests must live in those two: each step below lands on another replica
// (HAProxy names it in X-Served-By), and the results must be those of a single instance.

const haproxy = haproxyBin();
const skip = !process.env['DATABASE_URL'] || !process.env['REDIS_URL']
  ? 'needs DATABASE_URL and REDIS_URL: the replicas share a real PostgreSQL and Redis'
  : !haproxy
    ? 'haproxy is not installed (Debian package haproxy; .ci/run installs it)'
    : false;

if (skip) {
  t.test('three replicas behind HAProxy', { skip }, () => undefined);
} else {
  await run(haproxy!);
}

async function run(haproxyPath: string): Promise<void> {
  const KEY_CACHE_SECONDS = 2;
  const KEY_ACTIVATION_DELAY_SECONDS = 8;
  const REFRESH_GRACE_SECONDS = 1;
  const TOKEN_FAILURES_PER_MINUTE = 4;
  const ADMIN_TOKEN = `admin-${randomBytes(16).toString('hex')}`;

  const testDb = await createTestDatabaseUrl();
  t.teardown(() => testDb.drop());
  const handle = await openDatabase({ url: testDb.url, dataDir: '' });
  t.teardown(() => handle.close());
  await migrateToLatest(handle.db);
  const harness = createHarness(handle);
  const clients = { clients: createPostgresClientRepo(handle.db) };

  const keys = await sharedDevKeys();
  const emulator = await startTestEmulator();
  t.teardown(() => emulator.close());
  const lbPort = await freePort();
  const lbUrl = `http://127.0.0.1:${lbPort}`;
  await emulator.registerClient({ clientId: 'EDIARY_LB', redirectUris: [`${lbUrl}/esia/callback`], certificates: [readFileSync(keys.clientCert, 'utf8')], scopes: ALL_TEST_SCOPES, tokenAlg: 'RS256' });

  const dataDir = scratchDir('esia-broker-lb-');
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    PUBLIC_URL: lbUrl,
    DATABASE_URL: testDb.url,
    REDIS_URL: process.env['REDIS_URL']!,
    REDIS_KEY_PREFIX: `test:${uniqueSuffix()}:`,
    MIGRATE_ON_START: 'false',
    CONFIG_DIR: `${ROOT}/config`,
    DATA_DIR: dataDir,
    COOKIE_SECRET: 'test-cookie-secret-0123456789abcdef',
    SNILS_HMAC_KEY: 'test-snils-hmac-key-0123456789abcdef',
    KEY_ENCRYPTION_KEY: 'test-key-encryption-key-0123456789',
    ADMIN_TOKEN,
    ESIA_URL: emulator.url,
    ESIA_CLIENT_ID: 'EDIARY_LB',
    ESIA_KEY_FILE: keys.clientKey,
    ESIA_CERT_FILE: keys.clientCert,
    ESIA_TOKEN_CERT_FILE: keys.esiaTokenCerts,
    ESIA_TIMEOUT_MS: '15000',
    ESIA_SCOPES: 'openid fullname birthdate gender snils email mobile id_doc',
    OIDC_KEY_CACHE_SECONDS: String(KEY_CACHE_SECONDS),
    OIDC_KEY_ACTIVATION_DELAY_SECONDS: String(KEY_ACTIVATION_DELAY_SECONDS),
    OIDC_REFRESH_GRACE_SECONDS: String(REFRESH_GRACE_SECONDS),
    OIDC_TOKEN_RATE_LIMIT_PER_MINUTE: String(TOKEN_FAILURES_PER_MINUTE),
    LINK_MAX_FAILURES_PER_LOGIN: '3',
    LINK_MAX_FAILURES_PER_ESIA_ACCOUNT: '1000',
    LINK_MAX_FAILURES_PER_IP: '1000',
  };

  // Started together on an empty key table, as a fresh deployment's replicas are.
  const replicas = new Map<string, SpawnedBroker>(['b1', 'b2', 'b3'].map((name) => [name, spawnBroker(env)]));
  t.teardown(() => {
    for (const broker of replicas.values()) broker.child.kill('SIGKILL');
  });
  const ports = await Promise.all([...replicas].map(async ([name, broker]) => ({ name, port: Number(new URL(await broker.ready).port) })));
  const lb = await startHaproxy(haproxyPath, lbPort, ports);
  t.teardown(() => lb.close());

  const client = await registerClient(clients, { regions: ['38'] });
  const profiles = {
    smirnova: await harness.profile({ lastName: 'Смирнова', firstName: 'Елена', middleName: 'Викторовна', birthDate: '1984-05-12', snils: '145-278-903 84', roles: ['parent'], region: '38' }),
    kuznetsov: await harness.profile({ lastName: 'Кузнецов', firstName: 'Андрей', middleName: 'Сергеевич', birthDate: '1979-11-03', snils: '153-624-871 70', roles: ['parent'], region: '38' }),
    ivanova: await harness.profile({ lastName: 'Иванова', firstName: 'Мария', middleName: 'Сергеевна', birthDate: '2009-03-14', snils: '112-233-445 95', roles: ['student'], region: '38' }),
  };

  /** Every answer from the load balancer, in order: the path asked and the replica that answered. */
  class LbBrowser extends Browser {
    readonly served: Array<{ path: string; by: string; status: number }> = [];
    override async fetch(url: string, init: Parameters<Browser['fetch']>[1] = {}): Promise<Response> {
      const response = await super.fetch(url, init);
      if (url.startsWith(lbUrl)) this.served.push({ path: new URL(url).pathname, by: servedBy(response), status: response.status });
      return response;
    }
  }

  interface Started {
    browser: LbBrowser;
    client: TestClient;
    verifier: string;
    state: string;
    /** Where ESIA sends the browser back (the broker's callback), not yet visited. */
    callbackUrl: string | undefined;
    /** The diary's redirect with a code, when the broker already answered (SSO). */
    clientRedirect: URL | undefined;
  }

  async function begin(browser: LbBrowser, oid: string, as: TestClient = client): Promise<Started> {
    const verifier = randomBytes(32).toString('base64url');
    const state = randomBytes(8).toString('hex');
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: as.clientId,
      redirect_uri: as.redirectUri,
      scope: 'openid profile diary',
      state,
      nonce: randomBytes(8).toString('hex'),
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    });
    const authorizeUrl = `${lbUrl}/authorize?${query.toString()}`;
    const started = await browser.fetch(authorizeUrl);
    const next = Browser.location(started, authorizeUrl);
    if (next.startsWith(as.redirectUri)) return { browser, client: as, verifier, state, callbackUrl: undefined, clientRedirect: new URL(next) };
    const passed = await passEsia(browser, next, { oid, callbackPrefix: `${lbUrl}/esia/callback` });
    return { browser, client: as, verifier, state, callbackUrl: passed.callbackUrl, clientRedirect: undefined };
  }

  /** The broker's callback; the diary's redirect with the code. */
  async function callback(started: Started, headers: Record<string, string> = {}): Promise<URL> {
    const response = await started.browser.fetch(started.callbackUrl!, { headers });
    const location = Browser.location(response, started.callbackUrl!);
    if (!location.startsWith(started.client.redirectUri)) throw new Error(`the callback went to ${location}, not the diary`);
    return new URL(location);
  }

  /** A back-channel call through the load balancer, recorded in the browser's log of steps. */
  async function api(browser: LbBrowser, path: string, init: { form?: Record<string, string>; bearer?: string; basic?: TestClient } = {}): Promise<{ status: number; body: Record<string, unknown>; by: string }> {
    const headers: Record<string, string> = {};
    if (init.form) headers['content-type'] = 'application/x-www-form-urlencoded';
    if (init.bearer) headers['authorization'] = `Bearer ${init.bearer}`;
    const basic = init.basic ?? (init.form ? client : undefined);
    if (basic) headers['authorization'] = `Basic ${Buffer.from(`${encodeURIComponent(basic.clientId)}:${encodeURIComponent(basic.secret)}`).toString('base64')}`;
    const response = await fetch(`${lbUrl}${path}`, { method: init.form || path.startsWith('/admin') ? 'POST' : 'GET', headers, ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}) });
    const text = await response.text();
    const by = servedBy(response);
    browser.served.push({ path, by, status: response.status });
    return { status: response.status, body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : { text }, by };
  }

  function exchange(started: Started, code: URL) {
    if (code.searchParams.get('state') !== started.state) throw new Error('the diary got another state back');
    return api(started.browser, '/token', { form: { grant_type: 'authorization_code', code: code.searchParams.get('code') ?? '', redirect_uri: started.client.redirectUri, code_verifier: started.verifier }, basic: started.client });
  }

  const refresh = (browser: LbBrowser, token: unknown, as: TestClient = client) => api(browser, '/token', { form: { grant_type: 'refresh_token', refresh_token: String(token) }, basic: as });

  async function loggedIn(oid: string, as: TestClient = client) {
    const browser = new LbBrowser();
    const started = await begin(browser, oid, as);
    const tokens = await exchange(started, await callback(started));
    if (tokens.status !== 200) throw new Error(`code exchange answered ${tokens.status}`);
    return { browser, tokens: tokens.body };
  }

  t.test('a whole login whose every step lands on another replica', async (t) => {
    const browser = new LbBrowser();
    const started = await begin(browser, '1000000101');
    const tokens = await exchange(started, await callback(started));
    t.equal(tokens.status, 200, 'code exchanged');
    t.equal(decodeJwt(String(tokens.body['id_token'])).sub, profiles.smirnova.id, 'the id_token names the linked profile');
    const userinfo = await api(browser, '/userinfo', { bearer: String(tokens.body['access_token']) });
    t.equal(userinfo.status, 200, '/userinfo accepts the access token another replica signed');
    t.equal(userinfo.body['sub'], profiles.smirnova.id);
    const refreshed = await refresh(browser, tokens.body['refresh_token']);
    t.equal(refreshed.status, 200, 'refresh on yet another replica');

    const steps = browser.served;
    t.ok(steps.length >= 5, `${steps.length} steps through the load balancer: ${steps.map((s) => `${s.path}@${s.by}`).join(' ')}`);
    t.same(new Set(steps.map((s) => s.by)), new Set(['b1', 'b2', 'b3']), 'all three replicas served the login');
    t.ok(steps.every((step, i) => i === 0 || step.by !== steps[i - 1]!.by), 'no two consecutive steps on the same replica');
    t.ok(steps.every((s) => s.status < 400), 'no step failed');
  });

  t.test('SSO: a second /authorize on another replica finds the session', async (t) => {
    const { browser } = await loggedIn('1000000101');
    const sessionBy = browser.served.find((s) => s.path === '/esia/callback')!.by;
    const again = await begin(browser, '1000000101');
    t.ok(again.clientRedirect, 'straight back to the diary with a code, no trip to ESIA');
    const authorizeBy = browser.served.at(-1)!.by;
    t.not(authorizeBy, sessionBy, `the session was made on ${sessionBy}, found on ${authorizeBy}`);
    const tokens = await exchange(again, again.clientRedirect!);
    t.equal(tokens.status, 200);
    t.equal(decodeJwt(String(tokens.body['id_token'])).sub, profiles.smirnova.id);
  });

  t.test('a code replayed on another replica fails and revokes what the code gave', async (t) => {
    // Its own client: refused requests count against OIDC_TOKEN_RATE_LIMIT_PER_MINUTE per client.
    const own = await registerClient(clients, { regions: ['38'] });
    const browser = new LbBrowser();
    const started = await begin(browser, '1000000102', own);
    const code = await callback(started);
    const first = await exchange(started, code);
    t.equal(first.status, 200);
    const replay = await exchange(started, code);
    t.not(replay.by, first.by, `exchanged on ${first.by}, replayed on ${replay.by}`);
    t.equal(replay.status, 400);
    t.equal(replay.body['error'], 'invalid_grant');
    const userinfo = await api(browser, '/userinfo', { bearer: String(first.body['access_token']) });
    t.equal(userinfo.status, 401, 'the access token from the first exchange is revoked');
    const refreshed = await refresh(browser, first.body['refresh_token'], own);
    t.equal(refreshed.body['error'], 'invalid_grant', 'and its refresh token');
  });

  t.test('two parallel refreshes of one token on two replicas: one successor; reuse later kills the family', async (t) => {
    const own = await registerClient(clients, { regions: ['38'] });
    const { browser, tokens } = await loggedIn('1000000102', own);
    const [a, b] = await Promise.all([refresh(browser, tokens['refresh_token'], own), refresh(browser, tokens['refresh_token'], own)]);
    t.not(a.by, b.by, `refreshed on ${a.by} and ${b.by} at once`);
    t.same([a.status, b.status], [200, 200], `within OIDC_REFRESH_GRACE_SECONDS (${REFRESH_GRACE_SECONDS} s) both are answered`);
    t.equal(a.body['refresh_token'], b.body['refresh_token'], 'with the same successor: the family was rotated once');
    t.not(a.body['refresh_token'], tokens['refresh_token']);

    await sleep(REFRESH_GRACE_SECONDS * 1000 + 500);
    const reuse = await refresh(browser, tokens['refresh_token'], own);
    t.equal(reuse.status, 400, 'the used token presented after the grace');
    t.equal(reuse.body['error'], 'invalid_grant');
    const successor = await refresh(browser, a.body['refresh_token'], own);
    t.equal(successor.body['error'], 'invalid_grant', `the successor is dead too (asked ${successor.by})`);
    const userinfo = await api(browser, '/userinfo', { bearer: String(a.body['access_token']) });
    t.equal(userinfo.status, 401, 'and the access tokens of the family');
  });

  t.test('manual-link lockout counted across replicas', async (t) => {
    // 1000000108 has no SNILS: the broker asks for the diary login and password.
    const profile = await harness.profile({ lastName: 'Лебедев', firstName: 'Игорь', middleName: 'Александрович', birthDate: '1975-02-07', snils: null, roles: ['teacher'], region: '38' });
    const browser = new LbBrowser();
    const started = await begin(browser, '1000000108');
    let response = await browser.fetch(started.callbackUrl!);
    let page = await response.text();
    t.match(page, /не смогли найти Ваш профиль/, 'the manual-link form');
    const answers: Array<{ status: number; by: string }> = [];
    for (let i = 0; i < 5; i += 1) {
      const form = formFields(page, 'name="xsrf"');
      response = await browser.fetch(new URL(form.action, lbUrl).toString(), { form: { ...form.fields, login: profile.login, password: `wrong-${i}` } });
      page = await response.text();
      answers.push({ status: response.status, by: servedBy(response) });
    }
    t.same(answers.map((a) => a.status), [401, 401, 429, 429, 429], `three wrong passwords lock the login (LINK_MAX_FAILURES_PER_LOGIN=3): ${answers.map((a) => `${a.status}@${a.by}`).join(' ')}`);
    t.same(new Set(answers.map((a) => a.by)), new Set(['b1', 'b2', 'b3']), 'though each replica saw at most two of them');
    const form = formFields(page, 'name="xsrf"');
    response = await browser.fetch(new URL(form.action, lbUrl).toString(), { form: { ...form.fields, login: profile.login, password: profile.password } });
    t.equal(response.status, 429, `the right password is refused during the lockout, on ${servedBy(response)} too`);
  });

  t.test('the /token failure limit is counted across replicas', async (t) => {
    const other = await registerClient(clients, { regions: ['38'] });
    const wrong = { ...other, secret: 'not-the-secret' };
    const browser = new LbBrowser();
    const answers: Array<{ status: number; by: string }> = [];
    for (let i = 0; i < TOKEN_FAILURES_PER_MINUTE + 2; i += 1) {
      const answer = await api(browser, '/token', { form: { grant_type: 'refresh_token', refresh_token: 'x' }, basic: wrong });
      answers.push({ status: answer.status, by: answer.by });
    }
    const expected = [...Array<number>(TOKEN_FAILURES_PER_MINUTE).fill(401), 429, 429];
    t.same(answers.map((a) => a.status), expected, `${TOKEN_FAILURES_PER_MINUTE} refused, then slow_down: ${answers.map((a) => `${a.status}@${a.by}`).join(' ')}`);
    t.same(new Set(answers.map((a) => a.by)), new Set(['b1', 'b2', 'b3']));
  });

  t.test(`a key rotated on one replica signs on all within activation delay + OIDC_KEY_CACHE_SECONDS`, async (t) => {
    const { browser, tokens: first } = await loggedIn('1000000106');
    let tokens = first;
    const asked = Date.now();
    const rotated = await api(browser, '/admin/keys/rotate', { bearer: ADMIN_TOKEN });
    t.equal(rotated.status, 200, `rotated on ${rotated.by}`);
    const rotatedAt = Date.now();
    const newKids = rotated.body['new_kids'] as string[];
    const row = await handle.db.selectFrom('signing_keys').select('activates_at').where('kid', '=', newKids[0]!).executeTakeFirstOrThrow();
    const activatesAt = new Date(row.activates_at).getTime();
    t.ok(activatesAt >= asked + KEY_ACTIVATION_DELAY_SECONDS * 1000, 'the new keys sign only after the activation delay');

    // Requests sent once a replica's cached key table must have expired (plus a second for a
    // slow query) must see the rotation; nothing may sign with a new key before it activates.
    const publishedBy = rotatedAt + KEY_CACHE_SECONDS * 1000 + 1000;
    const signsBy = activatesAt + KEY_CACHE_SECONDS * 1000 + 1000;
    const jwksSeen: Array<{ sent: number; by: string; hasNew: boolean }> = [];
    const signed: Array<{ sent: number; by: string; kid: string; iat: number }> = [];
    while (Date.now() < signsBy + 3000) {
      const sent = Date.now();
      const jwks = await api(browser, '/jwks');
      jwksSeen.push({ sent, by: jwks.by, hasNew: newKids.every((kid) => (jwks.body['keys'] as Array<{ kid: string }>).some((k) => k.kid === kid)) });
      const next = await refresh(browser, tokens['refresh_token']);
      if (next.status !== 200) throw new Error(`refresh answered ${next.status} ${JSON.stringify(next.body)}`);
      tokens = next.body;
      signed.push({ sent, by: next.by, kid: String(decodeProtectedHeader(String(tokens['access_token'])).kid), iat: Number(decodeJwt(String(tokens['access_token'])).iat) });
      await sleep(150);
    }
    const late = jwksSeen.filter((j) => j.sent >= publishedBy && j.sent < activatesAt);
    t.same(new Set(late.map((j) => j.by)), new Set(['b1', 'b2', 'b3']), 'every replica served JWKS between the cache bound and the activation');
    t.ok(late.every((j) => j.hasNew), 'and every one of those lists the new keys before they sign');
    t.ok(
      signed.filter((s) => newKids.includes(s.kid)).every((s) => s.iat * 1000 >= Math.floor(activatesAt / 1000) * 1000),
      'no token is signed with a new key before it activates',
    );
    const after = signed.filter((s) => s.sent >= signsBy);
    t.same(new Set(after.map((s) => s.by)), new Set(['b1', 'b2', 'b3']), 'every replica signed after the bound');
    t.ok(after.every((s) => newKids.includes(s.kid)), `and every one with a new key: ${after.map((s) => `${s.by}:${s.kid.slice(0, 6)}`).join(' ')}`);
    const userinfo = await api(browser, '/userinfo', { bearer: String(tokens['access_token']) });
    t.equal(userinfo.status, 200, 'a token signed with the new key is accepted');
  });

  t.test('a replica killed mid-login loses only the request it was serving', async (t) => {
    // Three people at ESIA's callback at once: round-robin sends one to each replica. ESIA's
    // back channel is slowed, so the callbacks are still in flight when one replica dies.
    const people = [
      { oid: '1000000101', profile: profiles.smirnova },
      { oid: '1000000102', profile: profiles.kuznetsov },
      { oid: '1000000106', profile: profiles.ivanova },
    ];
    const starts: Started[] = [];
    for (const person of people) starts.push(await begin(new LbBrowser(), person.oid));
    // One more request moves round-robin on, so no callback meets the replica of its /authorize.
    await fetch(`${lbUrl}/healthz`);
    emulator.faults.set({ delayMs: 2500, delayScope: 'backchannel' });
    const requestIds = people.map(() => `lb-${randomBytes(6).toString('hex')}`);
    const callbacks = starts.map((started, i) => callback(started, { 'x-request-id': requestIds[i]! }).then((url) => ({ url }), (error: unknown) => ({ error })));

    // Each replica logs the request id it was handed.
    const holderOf = (id: string) => [...replicas].find(([, broker]) => broker.output().includes(`"reqId":"${id}"`))?.[0];
    let holders = requestIds.map(holderOf);
    for (let i = 0; i < 400 && holders.some((h) => !h); i += 1) {
      await sleep(25);
      holders = requestIds.map(holderOf);
    }
    t.same(new Set(holders), new Set(['b1', 'b2', 'b3']), `one callback on each replica: ${holders.join(' ')}`);
    // The victim: a replica holding one person's callback that served another person's /authorize.
    const authorizedOn = starts.map((s) => s.browser.served.find((step) => step.path === '/authorize')!.by);
    const lost = Math.max(0, holders.findIndex((holder, i) => authorizedOn.some((by, j) => j !== i && by === holder)));
    const victim = holders[lost]!;
    replicas.get(victim)!.child.kill('SIGKILL');
    await replicas.get(victim)!.exit;
    const killedAt = starts.map((s) => s.browser.served.length);

    const outcomes = await Promise.all(callbacks);
    emulator.faults.reset();
    const lostOutcome = outcomes[lost]!;
    t.ok('error' in lostOutcome, `${people[lost]!.oid}'s callback on the killed ${victim} is lost: ${'error' in lostOutcome ? String((lostOutcome.error as Error).cause ?? lostOutcome.error) : 'it was answered'}`);
    let continuedFromVictim = 0;
    for (const [i, outcome] of outcomes.entries()) {
      if (i === lost) continue;
      if (!('url' in outcome)) {
        t.fail(`${people[i]!.oid}'s callback failed: ${String(outcome.error)}`);
        continue;
      }
      const tokens = await exchange(starts[i]!, outcome.url);
      t.equal(tokens.status, 200, `${people[i]!.oid} (authorized on ${authorizedOn[i]}, called back on ${holders[i]}): the code is exchanged`);
      t.equal(decodeJwt(String(tokens.body['id_token'])).sub, people[i]!.profile.id);
      if (authorizedOn[i] === victim) continuedFromVictim += 1;
    }
    t.equal(continuedFromVictim, 1, `the login that began on ${victim} went on elsewhere`);

    // The person whose request was lost starts again and gets in, on what is left.
    const retried = await begin(starts[lost]!.browser, people[lost]!.oid);
    const code = retried.clientRedirect ?? (await callback(retried));
    const tokens = await exchange(retried, code);
    t.equal(tokens.status, 200, 'the person whose callback was lost logs in on the next try');
    t.equal(decodeJwt(String(tokens.body['id_token'])).sub, people[lost]!.profile.id);
    const afterKill = starts.flatMap((s, i) => s.browser.served.slice(killedAt[i]));
    t.notOk(afterKill.some((s) => s.by === victim), `nothing after the kill was answered by ${victim}: ${afterKill.map((s) => `${s.path}@${s.by}`).join(' ')}`);
  });
}

function servedBy(response: Response): string {
  return response.headers.get('x-served-by') ?? '(none)';
}
