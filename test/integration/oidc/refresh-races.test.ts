import t from 'tap';
import { sha256Base64url } from '../../../src/crypto/random.js';
import type { OidcContext } from '../../../src/oidc/context.js';
import { refreshTokenGrant } from '../../../src/oidc/token/refresh-token.js';
import { insertProfile, registerClient, startOidcBroker, TestBrowser, type TestClient } from '../../helpers/oidc.js';

// The refresh paths: the common case is one conditional write (for the next link of a chain
// this broker issued, its only round trip), and whatever it does not write (a parallel refresh
// won, another replica rotated the token, the grant was revoked) falls back to the locked
// rotation, which answers as before: the grace answer with the one successor, reuse revoking
// the family, a refusal.
const broker = await startOidcBroker();
t.teardown(() => broker.close());
const diary: TestClient = await registerClient(broker.deps);
const profileId = (await insertProfile(broker.deps)).id;
broker.loginAs(() => ({ profile: { profileId, esiaOid: '2000042', level: 'standard', authTime: Math.floor(Date.now() / 1000) } }));
const basic = `Basic ${Buffer.from(`${encodeURIComponent(diary.clientId)}:${encodeURIComponent(diary.secret)}`).toString('base64')}`;

async function token(form: Record<string, string>): Promise<{ status: number; body: Record<string, string> }> {
  const response = await fetch(`${broker.url}/token`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

async function login(): Promise<{ refreshToken: string; familyId: string }> {
  const url = new URL(`${broker.url}/authorize`);
  for (const [key, value] of Object.entries({ client_id: diary.clientId, redirect_uri: diary.redirectUri, response_type: 'code', scope: 'openid', state: 's' })) url.searchParams.set(key, value);
  const back = new URL((await new TestBrowser(broker.url).navigate(url.toString())).url);
  const issued = await token({ grant_type: 'authorization_code', code: back.searchParams.get('code')!, redirect_uri: diary.redirectUri });
  const familyId = JSON.parse(Buffer.from(issued.body['access_token']!.split('.')[1]!, 'base64url').toString()).jti.split('.')[0];
  return { refreshToken: issued.body['refresh_token']!, familyId };
}

const tokenRows = (familyId: string) => broker.deps.database.db.selectFrom('refresh_tokens').select('token_hash').where('family_id', '=', familyId).execute();

t.test('a chain of refreshes rotates each time', async (t) => {
  const { refreshToken: first, familyId } = await login();
  let refreshToken = first;
  for (let i = 0; i < 3; i++) {
    const answer = await token({ grant_type: 'refresh_token', refresh_token: refreshToken });
    t.equal(answer.status, 200, `refresh ${i + 1}`);
    t.not(answer.body['refresh_token'], refreshToken, 'a new token');
    refreshToken = answer.body['refresh_token']!;
  }
  t.equal((await tokenRows(familyId)).length, 4, 'the first token and three successors');
});

t.test('eight refreshes of one token at once: all answered with the one successor; reuse later revokes', async (t) => {
  const { refreshToken, familyId } = await login();
  const answers = await Promise.all(Array.from({ length: 8 }, () => token({ grant_type: 'refresh_token', refresh_token: refreshToken })));
  t.same(answers.map((a) => a.status), Array(8).fill(200), 'every one answered');
  const successors = new Set(answers.map((a) => a.body['refresh_token']));
  t.equal(successors.size, 1, 'with the same successor');
  t.equal((await tokenRows(familyId)).length, 2, 'written once');

  broker.advanceClock(10_000);
  try {
    const reuse = await Promise.all(Array.from({ length: 4 }, () => token({ grant_type: 'refresh_token', refresh_token: refreshToken })));
    for (const answer of reuse) {
      t.equal(answer.status, 400);
      t.match(answer.body['error_description'], /already used|invalid or revoked/, 'reuse after the grace window is refused');
    }
    t.ok(reuse.some((a) => /already used/.test(a.body['error_description']!)), 'as reuse');
    const successor = await token({ grant_type: 'refresh_token', refresh_token: [...successors][0]! });
    t.equal(successor.status, 400, 'and the successor dies with its family');
    t.match(successor.body['error_description'], /invalid or revoked/);
  } finally {
    broker.advanceClock(-10_000);
  }
});

t.test('refreshes that all read the token unused: one conditional write wins, the others fall back to the grace answer', async (t) => {
  const { refreshToken, familyId } = await login();
  const ctx = broker.deps.oidc.ctx;
  const client = (await ctx.clients.find(diary.clientId))!;
  // Every refresh reads the token before any of them writes: the race the conditional write can lose.
  const N = 4;
  let read = 0;
  let allRead: () => void = () => undefined;
  const barrier = new Promise<void>((resolve) => (allRead = resolve));
  // The first reads its grant from the grant cache (the broker just issued its token), the others the token from Postgres.
  const { ctx: racing, calls } = counted(async () => {
    if (++read === N) allRead();
    await barrier;
  });
  const answers = await Promise.all(Array.from({ length: N }, () => refreshTokenGrant(racing, client, { refreshToken, scope: undefined, resource: [] })));
  t.same(calls.rotateUnused.sort(), [false, false, false, true], 'each tried the conditional write, one wrote');
  t.same(calls.rotate, ['grace', 'grace', 'grace'], 'the others took the locked rotation: the grace answer');
  t.equal(new Set(answers.map((a) => a.refresh_token)).size, 1, 'one successor for all');
  t.equal((await tokenRows(familyId)).length, 2, 'written once');
});

/** The broker's own context with its family reads and writes counted; afterRead runs after each token or family read. */
function counted(afterRead: () => Promise<void> = async () => undefined) {
  const ctx = broker.deps.oidc.ctx;
  const calls = { findToken: 0, findFamily: 0, rotateUnused: [] as boolean[], rotate: [] as string[] };
  const read = async <T>(found: Promise<T>): Promise<T> => {
    const value = await found;
    await afterRead();
    return value;
  };
  const families: OidcContext['families'] = {
    ...ctx.families,
    findToken: (hash) => (calls.findToken++, read(ctx.families.findToken(hash))),
    findFamily: (id) => (calls.findFamily++, read(ctx.families.findFamily(id))),
    async rotateUnused(...args) {
      const wrote = await ctx.families.rotateUnused(...args);
      calls.rotateUnused.push(wrote);
      return wrote;
    },
    async rotate(...args) {
      const outcome = await ctx.families.rotate(...args);
      calls.rotate.push(outcome.decision.action);
      return outcome;
    },
  };
  return { ctx: { ...ctx, families }, calls };
}

t.test('the next link of a chain: its grant from the grant cache, its rotation the one statement', async (t) => {
  const { refreshToken } = await login();
  const client = (await broker.deps.oidc.ctx.clients.find(diary.clientId))!;
  const { ctx, calls } = counted();
  let token = refreshToken;
  for (let i = 0; i < 3; i++) token = (await refreshTokenGrant(ctx, client, { refreshToken: token, scope: undefined, resource: [] })).refresh_token!;
  t.same(calls, { findToken: 0, findFamily: 3, rotateUnused: [true, true, true], rotate: [] }, 'no token read, no transaction');
});

t.test('a token this broker issued that another replica rotated meanwhile: the grace answer, then reuse, as before', async (t) => {
  const { refreshToken, familyId } = await login();
  const client = (await broker.deps.oidc.ctx.clients.find(diary.clientId))!;
  const issued = (await token({ grant_type: 'refresh_token', refresh_token: refreshToken })).body['refresh_token']!;
  // Another replica rotates `issued` (same keyed successor on every replica) behind this one's back.
  const successor = broker.deps.oidc.ctx.successorOf(issued);
  t.equal(await broker.deps.oidc.ctx.families.rotateUnused(sha256Base64url(issued), sha256Base64url(successor), familyId, new Date(Date.now())), true);

  const { ctx, calls } = counted();
  const retried = await refreshTokenGrant(ctx, client, { refreshToken: issued, scope: undefined, resource: [] });
  t.equal(retried.refresh_token, successor, 'within the grace window: the successor the other replica wrote');
  t.same(calls, { findToken: 0, findFamily: 1, rotateUnused: [false], rotate: ['grace'] }, 'taken as unused, found used by the conditional write, decided under the lock');

  broker.advanceClock(10_000);
  try {
    const reuse = await token({ grant_type: 'refresh_token', refresh_token: issued });
    t.equal(reuse.status, 400);
    t.match(reuse.body['error_description'], /already used/, 'after it: reuse');
    t.ok((await broker.deps.oidc.ctx.families.findFamily(familyId))?.revokedAt, 'the family is revoked');
  } finally {
    broker.advanceClock(-10_000);
  }
});

t.test('a token this broker issued whose grant was revoked meanwhile: refused, nothing written', async (t) => {
  const { refreshToken, familyId } = await login();
  const issued = (await token({ grant_type: 'refresh_token', refresh_token: refreshToken })).body['refresh_token']!;
  await broker.deps.database.db.updateTable('refresh_token_families').set({ revoked_at: new Date(), revoked_reason: 'logout' }).where('id', '=', familyId).execute();
  const refused = await token({ grant_type: 'refresh_token', refresh_token: issued });
  t.equal(refused.status, 400);
  t.match(refused.body['error_description'], /invalid or revoked/);
  t.equal((await tokenRows(familyId)).length, 2, 'no successor written');
});
