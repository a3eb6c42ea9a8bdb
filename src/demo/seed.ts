import type { AdminCall } from '../admin/admin-call.js';
import type { LinksAdmin } from '../admin/links-admin.js';
import type { ProfileImport } from '../admin/profile-import.js';
import type { SchoolImport } from '../admin/school-import.js';
import { hashClientSecret } from '../crypto/secret-hash.js';
import type { Client, ClientRepo } from '../oidc/clients.js';
import { PUBLISHED_DEMO_SECRET } from '../oidc/client-file.js';
import { DEMO_PASSWORD, DEMO_PROFILES, DEMO_REGION, DEMO_SCHOOL_DIRECTORY, type DemoProfile } from './demo-data.js';

/**
 * Seeds what the demo needs through the school and profile imports (the function behind
 * POST /admin/profiles/import: SNILS kept only as its HMAC, passwords scrypt-hashed, every
 * change audited), and registers the demo diary for the URLs it really runs on. Each start
 * also unlinks the demo profiles (through the links admin, audited), so every run shows
 * every outcome again.
 */
export const DEMO_CLIENT_ID = 'demo-diary';
/** Documented in config/clients.json's $comment; development only (production never seeds it). */
export const DEMO_CLIENT_SECRET = PUBLISHED_DEMO_SECRET;
export const DEMO_ADMIN_CALL: AdminCall = { actor: 'admin:demo-seed' };

export interface DemoSeedDeps {
  profileImport: ProfileImport;
  schoolImport: SchoolImport;
  linkAdmin: LinksAdmin;
}

/** A directory row as the import takes it (its JSON form). */
function importRow(profile: DemoProfile) {
  return {
    id: profile.id,
    login: profile.login,
    password: DEMO_PASSWORD,
    last_name: profile.lastName,
    first_name: profile.firstName,
    middle_name: profile.middleName,
    birth_date: profile.birthDate,
    snils: profile.snils ?? null,
    email: profile.email ?? null,
    email_confirmed: profile.email !== undefined,
    roles: profile.roles,
    school_ids: profile.schoolIds,
    classes: profile.classes ?? [],
    activated: true,
    region: DEMO_REGION,
  };
}

export async function seedDemoProfiles(deps: DemoSeedDeps, call: AdminCall = DEMO_ADMIN_CALL): Promise<{ created: number; updated: number; unchanged: number; unlinked: number }> {
  const schools = await deps.schoolImport({ format: 'json', data: DEMO_SCHOOL_DIRECTORY }, call);
  if (schools.summary.rejected > 0) throw new Error('demo schools rejected by the school import');
  const report = await deps.profileImport({ format: 'json', data: DEMO_PROFILES.map(importRow) }, call);
  const rejected = report.rows.filter((row) => row.status === 'rejected');
  if (rejected.length > 0) {
    throw new Error(`demo profiles rejected by the directory import: ${rejected.map((row) => `${row.id}: ${row.errors?.map((e) => e.message).join(', ')}`).join('; ')}`);
  }
  let unlinked = 0;
  for (const profile of DEMO_PROFILES) {
    const { links } = await deps.linkAdmin.list({ profile_id: profile.id }, call);
    for (const link of links) {
      await deps.linkAdmin.remove({ esia_oid: link.esia_oid, profile_id: link.profile_id }, call);
      unlinked += 1;
    }
  }
  return { created: report.summary.created, updated: report.summary.updated, unchanged: report.summary.unchanged, unlinked };
}

/** Registers (or updates) the demo diary for the URL it runs on, keeping the rest of its entry. */
export async function seedDemoClient(clients: ClientRepo, diaryUrl: string, secret: string = DEMO_CLIENT_SECRET): Promise<Client> {
  const base = diaryUrl.replace(/\/+$/, '');
  const existing = await clients.find(DEMO_CLIENT_ID);
  const client: Client = {
    clientId: DEMO_CLIENT_ID,
    name: existing?.name ?? 'Демонстрационный электронный дневник',
    authMethod: 'client_secret_basic',
    secretHash: hashClientSecret(secret),
    jwks: undefined,
    redirectUris: [`${base}/callback`],
    postLogoutRedirectUris: [`${base}/`],
    regions: [...new Set([...(existing?.regions ?? []), DEMO_REGION])],
    allowedScopes: existing?.allowedScopes ?? ['openid', 'profile', 'email', 'diary', 'offline_access'],
    allowedResources: [`${base}/api`],
    idTokenAlg: existing?.idTokenAlg ?? 'ES256',
    refreshTokenTtlSeconds: existing?.refreshTokenTtlSeconds ?? 30 * 24 * 3600,
  };
  await clients.upsert(client);
  return client;
}
