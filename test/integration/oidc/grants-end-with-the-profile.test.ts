import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import type { PersonaInput } from '../../../src/emulator/personas.js';
import { newSnils } from '../../helpers/accounts.js';
import { adminClient, csvFile } from '../../helpers/admin.js';
import { flowLogin, startFlowEnvironment, type FlowEnvironment } from '../../helpers/login-flow.js';
import { registerClient } from '../../helpers/oidc.js';

// Whatever makes a diary profile no longer enterable by an ESIA account (an unlink by an admin
// or by the person, a directory import deactivating or detaching it, its deletion, its region
// switched off) ends the grants issued for it: refresh answers invalid_grant, /userinfo 401,
// introspection inactive. The same account's grants for its other profiles live on.
// Real HTTP: the ESIA emulator, the broker, openid-client as the diary.
const configDir = mkdtempSync(join(tmpdir(), 'esia-broker-grants-'));
cpSync(join(import.meta.dirname, '..', '..', '..', 'config'), configDir, { recursive: true });
t.teardown(() => rmSync(configDir, { recursive: true, force: true }));

type Person = { oid: string; lastName: string; firstName: string; middleName: string; birthDate: string; snils: string };
let next = 0;
function person(lastName: string): Person {
  next += 1;
  return { oid: String(1000000300 + next), lastName, firstName: 'Ольга', middleName: 'Николаевна', birthDate: '1981-04-17', snils: newSnils() };
}
const people = {
  adminUnlink: person('Андреева'),
  ownUnlink: person('Борисова'),
  deactivated: person('Васильева'),
  detached: person('Григорьева'),
  deleted: person('Дмитриева'),
  regionOff: person('Егорова'),
  codeInFlight: person('Жукова'),
};
const persona = (p: Person): PersonaInput => ({
  oid: p.oid,
  label: `Родитель и учитель ${p.lastName}`,
  trusted: true,
  lastName: p.lastName,
  firstName: p.firstName,
  middleName: p.middleName,
  birthDate: p.birthDate.split('-').reverse().join('.'),
  gender: 'F',
  snils: p.snils,
  contacts: [{ type: 'MBT', value: `+7(999)${p.oid.slice(-7)}`, vrfStu: 'VERIFIED' }],
});

const env = await startFlowEnvironment({ extraPersonas: Object.values(people).map(persona), env: { CONFIG_DIR: configDir } });
t.teardown(() => env.close());
const login = flowLogin(env);
const admin = adminClient(env.broker.url);
type Tokens = Awaited<ReturnType<Awaited<ReturnType<typeof login>>['tokens']>>;

/** The same ESIA account enters two diary profiles (parent and teacher) through the chooser: one grant each. */
async function twoGrants(p: Person) {
  const { oid, ...fields } = p;
  const victim = await env.harness.profile({ ...fields, roles: ['parent'], schoolIds: ['school-1'], region: '38' });
  const other = await env.harness.profile({ ...fields, roles: ['teacher'], schoolIds: ['school-2'], region: '38' });
  const enter = async (profileId: string) => {
    const result = await login(oid);
    await result.submit({ profile_id: profileId }, 'name="profile_id"');
    return { result, tokens: await result.tokens() };
  };
  const first = await enter(victim.id);
  const second = await enter(other.id);
  return { victim, other, victimLogin: first.result, victimTokens: first.tokens, otherTokens: second.tokens };
}

/** The refresh token's row and its family's, as stored: what a refresh wrote. */
async function rotationOf(refreshToken: string) {
  const db = env.broker.deps.database.db;
  const hash = createHash('sha256').update(refreshToken).digest('base64url');
  const token = await db.selectFrom('refresh_tokens').select(['family_id', 'used_at', 'successor_hash']).where('token_hash', '=', hash).executeTakeFirstOrThrow();
  const family = await db.selectFrom('refresh_token_families').select(['revoked_at', 'revoked_reason']).where('id', '=', token.family_id).executeTakeFirstOrThrow();
  const tokens = await db.selectFrom('refresh_tokens').select('token_hash').where('family_id', '=', token.family_id).execute();
  return { usedAt: token.used_at, successorHash: token.successor_hash, revokedAt: family.revoked_at, revokedReason: family.revoked_reason, tokens: tokens.length };
}

async function userinfoStatus(accessToken: string): Promise<number> {
  const response = await fetch(`${env.broker.url}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
  await response.body?.cancel();
  return response.status;
}

/**
 * The grant ended: /userinfo 401, introspection inactive, refresh 400 invalid_grant whose
 * description names why. `refreshFirst`: the refresh is the first use after the change.
 */
async function assertEnded(t: Test, config: oidc.Configuration, tokens: Tokens, why: RegExp, options: { refreshFirst?: boolean } = {}) {
  const refresh = async () => {
    const failure = (await oidc.refreshTokenGrant(config, tokens.refresh_token!).then(
      () => undefined,
      (error: unknown) => error,
    )) as { status?: number; error?: string; error_description?: string } | undefined;
    t.match(failure, { status: 400, error: 'invalid_grant', error_description: why }, 'refresh answers 400 invalid_grant, saying why');
  };
  if (options.refreshFirst) await refresh();
  t.equal(await userinfoStatus(tokens.access_token), 401, '/userinfo refuses the old access token');
  t.equal((await oidc.tokenIntrospection(config, tokens.access_token)).active, false, 'introspection: the access token is inactive');
  t.equal((await oidc.tokenIntrospection(config, tokens.refresh_token!)).active, false, 'introspection: the refresh token is inactive');
  if (!options.refreshFirst) await refresh();
}

async function assertAlive(t: Test, config: oidc.Configuration, tokens: Tokens, profileId: string) {
  t.equal(await userinfoStatus(tokens.access_token), 200, 'the other profile: /userinfo still answers');
  t.equal((await oidc.tokenIntrospection(config, tokens.access_token)).active, true, 'the other profile: its access token is active');
  const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
  t.equal(refreshed.claims()?.sub, profileId, 'the other profile: refresh still works');
}

t.test('an admin unlink (DELETE /admin/links) ends the grants of that profile only', async (t) => {
  const { victim, other, victimTokens, otherTokens } = await twoGrants(people.adminUnlink);
  t.equal((await admin.call('DELETE', `/admin/links/${people.adminUnlink.oid}/${victim.id}`)).status, 204);
  t.equal((await admin.call('POST', '/admin/links', { json: { esia_oid: people.adminUnlink.oid, profile_id: victim.id } })).status, 201, 'linked again at once');
  await assertEnded(t, env.config, victimTokens, /grant ended \(link_removed\)/);
  await assertAlive(t, env.config, otherTokens, other.id);
});

t.test("the person's own unlink (/account/links) ends the grants of that profile only", async (t) => {
  const { victim, other, victimLogin, victimTokens, otherTokens } = await twoGrants(people.ownUnlink);
  const page = await victimLogin.browser.fetch(`${env.broker.url}/account/links`);
  t.equal(page.status, 200);
  victimLogin.page = await page.text();
  await victimLogin.submit({ profile_id: victim.id }, `value="${victim.id}"`);
  t.equal(victimLogin.response.status, 200, 'unlinked');
  await assertEnded(t, env.config, victimTokens, /grant ended \(link_removed\)/);
  await assertAlive(t, env.config, otherTokens, other.id);
});

t.test('a directory import setting activated=false ends the grants of that profile', async (t) => {
  const { victim, other, victimTokens, otherTokens } = await twoGrants(people.deactivated);
  const importActivated = (value: string) => admin.call<{ summary: { updated: number } }>('POST', '/admin/profiles/import', { text: csvFile(['id', 'activated'], [[victim.id, value]]) });
  t.equal((await importActivated('false')).body.summary.updated, 1, 'deactivated');
  t.equal((await importActivated('true')).body.summary.updated, 1, 'activated again by the next import');
  await assertEnded(t, env.config, victimTokens, /grant ended \(profile_not_activated\)/);
  await assertAlive(t, env.config, otherTokens, other.id);
});

t.test('a directory import emptying school_ids ends the grants of that profile', async (t) => {
  const { victim, other, victimTokens, otherTokens } = await twoGrants(people.detached);
  const imported = await admin.call<{ summary: { updated: number } }>('POST', '/admin/profiles/import', { json: [{ id: victim.id, school_ids: [] }] });
  t.equal(imported.body.summary.updated, 1, 'imported');
  await assertEnded(t, env.config, victimTokens, /grant ended \(profile_not_attached\)/);
  await assertAlive(t, env.config, otherTokens, other.id);
});

t.test('DELETE /admin/profiles/:id ends the grants of that profile', async (t) => {
  const { victim, other, victimTokens, otherTokens } = await twoGrants(people.deleted);
  t.equal((await admin.call('DELETE', `/admin/profiles/${victim.id}`)).status, 200);
  await assertEnded(t, env.config, victimTokens, /invalid or revoked/);
  await assertAlive(t, env.config, otherTokens, other.id);
});

t.test("a region switched off (regions reload) ends the grants of its profiles, not the account's others", async (t) => {
  const { oid, ...fields } = people.regionOff;
  const north = await registerClient(env.broker.deps, { regions: ['29'] });
  const northConfig = await oidc.discovery(new URL(env.broker.url), north.clientId, undefined, oidc.ClientSecretBasic(north.secret), { execute: [oidc.allowInsecureRequests] });
  const victim = await env.harness.profile({ ...fields, roles: ['parent'], region: '29' });
  const other = await env.harness.profile({ ...fields, roles: ['parent'], region: '38' });
  const northEnv: FlowEnvironment = { ...env, client: north, config: northConfig };
  const victimTokens = await (await flowLogin(northEnv)(oid)).tokens();
  t.equal(victimTokens.claims()?.sub, victim.id);
  const otherTokens = await (await login(oid)).tokens();
  t.equal(otherTokens.claims()?.sub, other.id);

  const file = join(configDir, 'regions.json');
  const table = JSON.parse(readFileSync(file, 'utf8')) as { regions: Array<{ code: string; mode: string }> };
  table.regions.find((r) => r.code === '29')!.mode = 'off';
  writeFileSync(file, JSON.stringify(table));
  t.match(env.broker.deps.regions.reload(), { ok: true }, 'the new table is live');

  // Nothing revoked the family when the region went off: the refresh is the first to find out.
  const before = await rotationOf(victimTokens.refresh_token!);
  t.match(before, { usedAt: null, successorHash: null, revokedAt: null }, 'the refresh token is unused and its grant not yet revoked');
  await assertEnded(t, northConfig, victimTokens, /^region_not_enabled \(region_off\): /, { refreshFirst: true });
  t.match(await rotationOf(victimTokens.refresh_token!), { usedAt: null, successorHash: null, tokens: before.tokens, revokedReason: 'region_off' }, 'the refused refresh rotated nothing: no token used up, no successor written; only the fallen grant is revoked');
  await assertAlive(t, env.config, otherTokens, other.id);
});

t.test('a code issued before an admin unlink and redeemed after it gets no tokens', async (t) => {
  const { oid, ...fields } = people.codeInFlight;
  const profile = await env.harness.profile({ ...fields, roles: ['parent'], region: '38' });
  const result = await login(oid);
  t.ok(result.clientRedirect, 'the code is on its way to the diary');
  t.equal((await admin.call('DELETE', `/admin/links/${oid}/${profile.id}`)).status, 204);
  const failure = (await result.tokens().then(
    () => undefined,
    (error: unknown) => error,
  )) as { status?: number; error?: string; error_description?: string } | undefined;
  t.match(failure, { status: 400, error: 'invalid_grant', error_description: /^profile_not_found \(link_removed\): / }, 'the exchange answers invalid_grant');
});
