import type { JWK } from 'jose';
import type { Sealer } from '../crypto/key-encryption.js';
import { createHash } from 'node:crypto';
import { verificationKeys, type VerificationKey } from '../crypto/jws.js';
import { SIGNING_ALGS, generateSigningKey, importSigningKey, type SigningAlg, type SigningKey } from '../crypto/jwt.js';

/**
 * Our signing keys: stored in Postgres (private part sealed with KEY_ENCRYPTION_KEY), shared
 * by every instance. A key is published in JWKS from its creation, signs from activatesAt,
 * stops signing at retiredAt and leaves JWKS at unpublishAt, once the tokens it signed expired.
 */
export interface SigningKeyRecord {
  kid: string;
  alg: SigningAlg;
  publicJwk: JWK;
  privateJwkSealed: string;
  createdAt: Date;
  activatesAt: Date;
  retiredAt: Date | null;
  unpublishAt: Date | null;
}

/** Implemented in store/postgres. */
export interface SigningKeyRepo {
  list(): Promise<SigningKeyRecord[]>;
  insert(record: SigningKeyRecord): Promise<void>;
  /** Ends the life of the keys: they stop signing at retiredAt and leave JWKS at unpublishAt. */
  retire(kids: string[], retiredAt: Date, unpublishAt: Date): Promise<void>;
}

export interface KeyRing {
  /** At start: makes sure each algorithm has a key that signs now. */
  ensureKeys(): Promise<void>;
  /** The key that signs now for alg. */
  signingKey(alg: SigningAlg): Promise<SigningKey>;
  /** Public keys currently published (JWKS). */
  publishedJwks(): Promise<{ keys: JWK[] }>;
  /** The same, serialised once per key set, with its ETag: what GET /jwks sends. */
  publishedBody(): Promise<PublishedJwks>;
  /**
   * publishedBody() without a promise when it is at hand (serialised, the key cache fresh, no
   * key due to leave JWKS yet), else undefined: then call publishedBody().
   */
  publishedBodyAtHand(): PublishedJwks | undefined;
  /** The published keys as node:crypto KeyObjects, imported once per key set: what verifies our tokens. */
  verificationKeys(): Promise<VerificationKey[]>;
  /** Adds a new key per algorithm, published now, signing after the delay; retires the old ones. */
  rotate(options?: { activationDelaySeconds?: number }): Promise<string[]>;
  /** Takes a key out at once (compromise): it stops signing and leaves JWKS now. */
  remove(kid: string): Promise<void>;
}

export interface PublishedJwks {
  body: Buffer;
  etag: string;
}

export interface KeyRingDeps {
  repo: SigningKeyRepo;
  sealer: Sealer;
  now: () => number;
  activationDelaySeconds: number;
  cacheSeconds: number;
  /** Longest lifetime of anything we sign: a retired key stays published this long (plus skew). */
  maxTokenLifetimeSeconds: number;
}

const CLOCK_SKEW_SECONDS = 60;

/** A kid names one key's material for good, so equal kids in the same order are the same set. */
const sameKids = (a: JWK[], b: JWK[]) => a.length === b.length && a.every((key, i) => key.kid === b[i]!.kid);

export function createKeyRing(deps: KeyRingDeps): KeyRing {
  let cache: { records: SigningKeyRecord[]; loadedAt: number } | undefined;
  const imported = new Map<string, Promise<SigningKey>>();
  // Derived from one load of the records (and the minute it was made in, for unpublishAt):
  // rebuilt when the records are reloaded, after a rotation or removal, or when a key leaves JWKS.
  // `until`: when the next published key leaves JWKS (its unpublishAt), so the set is recomputed then.
  let derived: { from: SigningKeyRecord[]; until: number; keys: JWK[]; body?: PublishedJwks; verify?: VerificationKey[] } | undefined;

  const cacheFresh = (at: number) => cache !== undefined && at - cache.loadedAt <= deps.cacheSeconds * 1000;

  async function records(): Promise<SigningKeyRecord[]> {
    if (!cache || !cacheFresh(deps.now())) {
      cache = { records: await deps.repo.list(), loadedAt: deps.now() };
    }
    return cache.records;
  }

  function signingRecord(all: SigningKeyRecord[], alg: SigningAlg, at: number): SigningKeyRecord | undefined {
    return all
      .filter((r) => r.alg === alg && r.activatesAt.getTime() <= at && (r.retiredAt === null || r.retiredAt.getTime() > at))
      .sort((a, b) => b.activatesAt.getTime() - a.activatesAt.getTime())[0];
  }

  async function createKey(alg: SigningAlg, activatesAt: Date): Promise<SigningKeyRecord> {
    const key = await generateSigningKey(alg);
    const record: SigningKeyRecord = {
      kid: key.kid,
      alg,
      publicJwk: key.publicJwk,
      privateJwkSealed: deps.sealer.seal(JSON.stringify(key.privateJwk), key.kid),
      createdAt: new Date(deps.now()),
      activatesAt,
      retiredAt: null,
      unpublishAt: null,
    };
    await deps.repo.insert(record);
    return record;
  }

  function load(record: SigningKeyRecord): Promise<SigningKey> {
    let key = imported.get(record.kid);
    if (!key) {
      key = importSigningKey(record.kid, record.alg, JSON.parse(deps.sealer.open(record.privateJwkSealed, record.kid)) as JWK);
      imported.set(record.kid, key);
    }
    return key;
  }

  /** The published set as derived last, while it still holds (every request asks; it rarely changes). */
  function derivedAtHand(): NonNullable<typeof derived> | undefined {
    const at = deps.now();
    return derived && cacheFresh(at) && derived.from === cache?.records && at < derived.until ? derived : undefined;
  }

  async function published(): Promise<NonNullable<typeof derived>> {
    const held = derivedAtHand();
    if (held) return held;
    const all = await records();
    const at = deps.now();
    const live = all.filter((r) => r.unpublishAt === null || r.unpublishAt.getTime() > at);
    const keys = live.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime()).map((r) => r.publicJwk);
    const until = Math.min(...live.map((r) => r.unpublishAt?.getTime() ?? Number.POSITIVE_INFINITY));
    // A reload (every cacheSeconds) returns new record objects for the same keys: keep what was
    // derived from them. A new verification-key array would empty the checked-token memory
    // (access-tokens.ts) once a minute, re-verifying every token and leaving 10,000 entries of garbage.
    if (derived && sameKids(derived.keys, keys)) Object.assign(derived, { from: all, until });
    else derived = { from: all, until, keys };
    return derived;
  }

  function serialised(current: NonNullable<typeof derived>): PublishedJwks {
    if (!current.body) {
      const body = Buffer.from(JSON.stringify({ keys: current.keys }));
      current.body = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
    }
    return current.body;
  }

  return {
    async ensureKeys() {
      cache = undefined;
      const all = await records();
      const missing = SIGNING_ALGS.filter((alg) => !signingRecord(all, alg, deps.now()));
      for (const alg of missing) await createKey(alg, new Date(deps.now()));
      if (missing.length > 0) cache = undefined;
    },

    async signingKey(alg) {
      let record = signingRecord(await records(), alg, deps.now());
      if (!record) {
        // Another instance may have rotated or removed keys since our cache was filled.
        cache = undefined;
        record = signingRecord(await records(), alg, deps.now());
      }
      if (!record) throw new Error(`no active ${alg} signing key`);
      return load(record);
    },

    async publishedJwks() {
      return { keys: (await published()).keys };
    },

    async publishedBody() {
      return serialised(await published());
    },

    publishedBodyAtHand() {
      return derivedAtHand()?.body;
    },

    async verificationKeys() {
      const current = await published();
      current.verify ??= verificationKeys(current.keys);
      return current.verify;
    },

    async rotate(options = {}) {
      cache = undefined;
      const all = await records();
      const delay = options.activationDelaySeconds ?? deps.activationDelaySeconds;
      const activatesAt = new Date(deps.now() + delay * 1000);
      const unpublishAt = new Date(activatesAt.getTime() + (deps.maxTokenLifetimeSeconds + CLOCK_SKEW_SECONDS) * 1000);
      const kids: string[] = [];
      for (const alg of SIGNING_ALGS) {
        const old = all.filter((r) => r.alg === alg && (r.retiredAt === null || r.retiredAt.getTime() > activatesAt.getTime()));
        kids.push((await createKey(alg, activatesAt)).kid);
        if (old.length > 0) await deps.repo.retire(old.map((r) => r.kid), activatesAt, unpublishAt);
      }
      cache = undefined;
      return kids;
    },

    async remove(kid) {
      cache = undefined;
      if (!(await records()).some((r) => r.kid === kid)) throw new Error(`no signing key ${kid}`);
      const at = new Date(deps.now());
      await deps.repo.retire([kid], at, at);
      imported.delete(kid);
      cache = undefined;
      await this.ensureKeys();
    },
  };
}
