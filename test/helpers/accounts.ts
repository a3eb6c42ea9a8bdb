import { randomBytes } from 'node:crypto';
import { createAccounts } from '../../src/accounts/accounts.js';
import type { AccountsDeps, LoginContext } from '../../src/accounts/context.js';
import type { DiaryProfile, Role } from '../../src/accounts/directory.js';
import { createLinkRateLimiter, DEFAULT_LINK_LIMITS, type LinkLimits } from '../../src/accounts/rate-limit.js';
import { createStoreKeyHash } from '../../src/crypto/store-key.js';
import { hashPassword } from '../../src/crypto/password.js';
import { createSnilsHasher, snilsChecksum } from '../../src/crypto/snils.js';
import type { EsiaPerson } from '../../src/esia/person.js';
import type { RegionTable } from '../../src/policy/region-schema.js';
import { createMemoryStateStore } from '../../src/store/memory/memory-state-store.js';
import { createPostgresAuditLog } from '../../src/store/postgres/audit-repo.js';
import type { DatabaseHandle } from '../../src/store/postgres/database.js';
import { createPostgresDirectory } from '../../src/store/postgres/directory-repo.js';
import { createPostgresLinkStore } from '../../src/store/postgres/links-repo.js';
import { shipped } from './seed-regions.js';

/**
 * The accounts domain on a real database (PGlite or Postgres) with the real adapters, an
 * in-memory state store on a clock the test moves, and builders for profiles and persons
 * that never collide (unique ids, logins, SNILS and e-mails per call).
 */
export const HMAC_KEY = 'test-snils-hmac-key-0123456789abcdef';
export const hashSnils = createSnilsHasher(HMAC_KEY);
/** Cheap scrypt for fixtures: the stored parameters are what verification uses. */
const FIXTURE_SCRYPT = { N: 1024, r: 8, p: 1 };

let counter = 0;
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}${randomBytes(2).toString('hex')}`;

/** A fresh valid SNILS (formatted XXX-XXX-XXX YY). */
export function newSnils(): string {
  const body = String(100_000_000 + Math.floor(Math.random() * 899_999_999)).padStart(9, '0');
  const check = String(snilsChecksum(body)).padStart(2, '0');
  return `${body.slice(0, 3)}-${body.slice(3, 6)}-${body.slice(6, 9)} ${check}`;
}

export interface ProfileSeed {
  lastName?: string;
  firstName?: string;
  middleName?: string | null;
  birthDate?: string | null;
  /** Clear SNILS; stored only as HMAC + last 4, as the directory import would. */
  snils?: string | null;
  email?: string | null;
  emailConfirmed?: boolean;
  roles?: Role[];
  schoolIds?: string[];
  classes?: string[];
  activated?: boolean;
  region?: string;
  login?: string;
  password?: string | null;
}

export function createHarness(handle: DatabaseHandle, options: { regions?: RegionTable; limits?: LinkLimits } = {}) {
  let now = Date.parse('2024-09-02T09:00:00Z');
  const state = createMemoryStateStore(() => now);
  const deps: AccountsDeps = {
    directory: createPostgresDirectory(handle.db),
    links: createPostgresLinkStore(handle.db),
    audit: createPostgresAuditLog(handle.db),
    hashSnils,
    limiter: createLinkRateLimiter(state, createStoreKeyHash('test-store-key-secret-0123456789'), options.limits ?? DEFAULT_LINK_LIMITS),
  };
  const regions = options.regions ?? shipped;

  return {
    db: handle.db,
    deps,
    state,
    accounts: createAccounts(deps),
    clock: {
      set: (iso: string) => void (now = Date.parse(iso)),
      advance: (ms: number) => void (now += ms),
      now: () => new Date(now),
    },
    ctx(overrides: Partial<LoginContext> = {}): LoginContext {
      return { regions, regionCode: '52', now: new Date(now), requestId: `req-${unique()}`, clientId: 'diary-test', ...overrides };
    },

    async profile(seed: ProfileSeed = {}): Promise<DiaryProfile & { password: string }> {
      const id = `p-${unique()}`;
      const password = seed.password === undefined ? `pw-${unique()}` : seed.password;
      const fingerprint = seed.snils ? hashSnils(seed.snils) : undefined;
      if (seed.snils && !fingerprint) throw new Error('fixture SNILS fails its checksum');
      await handle.db
        .insertInto('profiles')
        .values({
          id,
          login: seed.login ?? `login.${unique()}`,
          password_hash: password === null ? null : await hashPassword(password, FIXTURE_SCRYPT),
          last_name: seed.lastName ?? 'Иванова',
          first_name: seed.firstName ?? 'Мария',
          middle_name: seed.middleName === undefined ? 'Петровна' : seed.middleName,
          birth_date: seed.birthDate === undefined ? '1985-06-15' : seed.birthDate,
          snils_hmac: fingerprint?.hash ?? null,
          snils_last4: fingerprint?.last4 ?? null,
          email: seed.email ?? null,
          email_confirmed: seed.emailConfirmed ?? false,
          roles: JSON.stringify(seed.roles ?? ['parent']),
          school_ids: JSON.stringify(seed.schoolIds ?? ['school-1']),
          classes: JSON.stringify(seed.classes ?? []),
          activated: seed.activated ?? true,
          region: seed.region ?? '52',
        })
        .execute();
      const profile = await deps.directory.findById(id);
      return { ...profile!, password: password ?? '' };
    },

    person(overrides: Partial<EsiaPerson> = {}): EsiaPerson {
      return {
        oid: String(1_000_000 + Math.floor(Math.random() * 1e9)),
        lastName: 'Иванова',
        firstName: 'Мария',
        middleName: 'Петровна',
        birthDate: '1985-06-15',
        gender: 'F',
        snils: undefined,
        snilsVerified: false,
        emails: [],
        mobiles: [],
        level: 'standard',
        isChild: undefined,
        esiaSessionId: undefined,
        authTime: Math.floor(now / 1000),
        ...overrides,
      };
    },

    async linksOf(oid: string) {
      return handle.db.selectFrom('account_links').select(['profile_id', 'method', 'is_default']).where('esia_oid', '=', oid).orderBy('profile_id').execute();
    },
    async auditOf(oid: string) {
      return handle.db.selectFrom('audit_events').selectAll().where('actor', '=', `esia:${oid}`).orderBy('id').execute();
    },
  };
}

export type Harness = ReturnType<typeof createHarness>;
export const uniqueEmail = () => `user.${unique()}@example.ru`;
export const uniqueLogin = () => `login.${unique()}`;
