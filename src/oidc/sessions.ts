import { randomToken, sha256Base64url } from '../crypto/random.js';
import type { EsiaLevel } from '../esia/person.js';
import { jsonState, type StateStore } from '../store/state-store.js';
import type { SsoSnapshot } from './interaction.js';
import { stateKeys } from './state-keys.js';

/**
 * The broker SSO session: one per browser (cookie eb_session holds its id), so a second
 * diary's login in the same browser does not go back to ESIA. Idle and absolute timeouts;
 * the id changes whenever a login completes (no fixation), the public `sid` stays.
 */
export interface SsoSession {
  /** Secret: the cookie value. */
  id: string;
  /** Public: the id_token's `sid`, and what refresh token families remember for logout. */
  sid: string;
  esiaOid: string;
  level: EsiaLevel;
  /** Seconds since epoch: when ESIA last authenticated the person. */
  authTime: number;
  esiaSessionId: string | undefined;
  profileIds: string[];
  /** Milliseconds since epoch: start of the absolute lifetime. */
  createdAt: number;
  lastSeenAt: number;
}

export interface SessionInput {
  esiaOid: string;
  level: EsiaLevel;
  authTime: number;
  esiaSessionId?: string | undefined;
  profileIds: string[];
}

export interface SessionService {
  /** The live session for a cookie value, or null (unknown, idle or past its absolute end). */
  find(id: string | undefined): Promise<SsoSession | null>;
  /** Records activity: the idle timeout starts again (never beyond the absolute end). */
  touch(session: SsoSession): Promise<void>;
  /**
   * After a login: merges into the browser's session when it is the same ESIA account (adding
   * profile ids), else starts a new one; always under a new id.
   */
  establish(currentId: string | undefined, input: SessionInput): Promise<SsoSession>;
  end(id: string | undefined): Promise<SsoSession | null>;
  /** Ends every session of an ESIA account (erasure); how many there were. */
  endAllOf(esiaOid: string): Promise<number>;
}

export interface SessionDeps {
  state: StateStore;
  now: () => number;
  idleSeconds: number;
  absoluteSeconds: number;
  /** Keyed hash of an ESIA oid: the key of the account's session index (never the oid itself). */
  accountHash?: (esiaOid: string) => string;
}

/** Sessions one index keeps: older ones have expired long before (a login a day for the absolute lifetime). */
const INDEX_MAX = 20;

export function toSnapshot(session: SsoSession): SsoSnapshot {
  return { esiaOid: session.esiaOid, level: session.level, authTime: session.authTime, esiaSessionId: session.esiaSessionId, profileIds: session.profileIds };
}

export function createSessionService(deps: SessionDeps): SessionService {
  const json = jsonState(deps.state);
  const idleMs = deps.idleSeconds * 1000;
  const absoluteMs = deps.absoluteSeconds * 1000;

  function ttlOf(session: SsoSession): number {
    return Math.min(idleMs, session.createdAt + absoluteMs - deps.now());
  }

  function isLive(session: SsoSession): boolean {
    const now = deps.now();
    return now - session.lastSeenAt < idleMs && now - session.createdAt < absoluteMs;
  }

  async function save(session: SsoSession): Promise<void> {
    const ttl = ttlOf(session);
    // Stored without its id: the cookie value is found only by its hash (the key), never read back.
    const { id, ...stored } = session;
    if (ttl > 0) await json.put(stateKeys.session(id), stored, ttl);
  }

  async function find(id: string | undefined): Promise<SsoSession | null> {
    if (!id) return null;
    const stored = await json.get<Omit<SsoSession, 'id'>>(stateKeys.session(id));
    const session = stored ? { ...stored, id } : null;
    return session && isLive(session) ? session : null;
  }

  return {
    find,

    async touch(session) {
      session.lastSeenAt = deps.now();
      await save(session);
    },

    async establish(currentId, input) {
      const current = await find(currentId);
      const now = deps.now();
      const same = current !== null && current.esiaOid === input.esiaOid;
      const fresher = !same || input.authTime > current.authTime;
      const session: SsoSession = {
        id: randomToken(32),
        sid: same ? current.sid : sha256Base64url(randomToken(32)).slice(0, 32),
        esiaOid: input.esiaOid,
        level: fresher ? input.level : current.level,
        authTime: fresher ? input.authTime : current.authTime,
        esiaSessionId: fresher ? input.esiaSessionId : current.esiaSessionId,
        profileIds: [...new Set([...input.profileIds, ...(same ? current.profileIds : [])])],
        // A fresh ESIA login starts a new absolute lifetime; a merge keeps the old one.
        createdAt: fresher ? now : current.createdAt,
        lastSeenAt: now,
      };
      // The old id's removal, the new session and its entry in the account's index (one atomic
      // step, so two logins of one account at once both land) do not depend on each other: sent
      // together, one write to Redis, one round trip.
      const indexKey = deps.accountHash ? stateKeys.sessionsOf(deps.accountHash(session.esiaOid)) : undefined;
      await Promise.all([
        currentId ? deps.state.delete(stateKeys.session(currentId)) : undefined,
        save(session),
        indexKey ? deps.state.addToRecent(indexKey, sha256Base64url(session.id), INDEX_MAX, absoluteMs) : undefined,
      ]);
      return session;
    },

    async endAllOf(esiaOid) {
      if (!deps.accountHash) return 0;
      const indexKey = stateKeys.sessionsOf(deps.accountHash(esiaOid));
      const hashes = (await json.get<string[]>(indexKey)) ?? [];
      for (const hash of hashes) await deps.state.delete(stateKeys.sessionByHash(hash));
      await deps.state.delete(indexKey);
      return hashes.length;
    },

    async end(id) {
      const session = await find(id);
      if (id) await deps.state.delete(stateKeys.session(id));
      return session;
    },
  };
}
