import type { Client, ClientRepo } from '../oidc/clients.js';
import { hashPassword } from '../crypto/password.js';
import { hashClientSecret } from '../crypto/secret-hash.js';
import type { SnilsHasher } from '../crypto/snils.js';
import type { ProfileRecord, ProfileWriter } from '../store/postgres/profiles-repo.js';
import { DEMO_PASSWORD, DEMO_PROFILES, DEMO_REGION, type DemoProfile } from './demo-data.js';

/**
 * Seeds what the demo needs, through the same paths a directory import takes: SNILS stored
 * only as the HMAC under SNILS_HMAC_KEY, passwords as scrypt; and the demo diary registered
 * as a client with the URLs it really runs on. Idempotent: every start resets the demo
 * profiles (and their links), so each run shows every outcome again.
 */
export const DEMO_CLIENT_ID = 'demo-diary';
/** Documented in config/clients.json's $comment; development only. */
export const DEMO_CLIENT_SECRET = 'demo-diary-secret-change-me-0123456789abcdef';

export interface SeedDeps {
  profiles: ProfileWriter;
  clients: ClientRepo;
  hashSnils: SnilsHasher;
}

export async function seedDemoProfiles(deps: Pick<SeedDeps, 'profiles' | 'hashSnils'>, options: { passwordCost?: { N: number; r: number; p: number } } = {}): Promise<number> {
  const records = await Promise.all(DEMO_PROFILES.map((profile) => toRecord(profile, deps.hashSnils, options.passwordCost)));
  await deps.profiles.replace(records);
  return records.length;
}

async function toRecord(profile: DemoProfile, hashSnils: SnilsHasher, cost: { N: number; r: number; p: number } | undefined): Promise<ProfileRecord> {
  const snils = profile.snils ? hashSnils(profile.snils) : undefined;
  if (profile.snils && !snils) throw new Error(`demo profile ${profile.id}: SNILS fails its checksum`);
  return {
    id: profile.id,
    login: profile.login,
    passwordHash: await hashPassword(DEMO_PASSWORD, cost),
    lastName: profile.lastName,
    firstName: profile.firstName,
    middleName: profile.middleName,
    birthDate: profile.birthDate,
    snilsHash: snils?.hash,
    snilsLast4: snils?.last4,
    email: profile.email,
    emailConfirmed: profile.email !== undefined,
    roles: profile.roles,
    schoolIds: profile.schoolIds,
    activated: true,
    region: DEMO_REGION,
  };
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
