import { randomBytes } from 'node:crypto';

/** The demo diary's sessions: in memory, capped, idle ones forgotten after an hour. */
export interface DiarySession {
  pending?: { state: string; nonce: string; verifier: string };
  idToken?: string | undefined;
  accessToken?: string;
  claims?: Record<string, unknown>;
}

const MAX_SESSIONS = 10_000;
const IDLE_MS = 60 * 60 * 1000;

export function createSessions(now: () => number = Date.now) {
  const sessions = new Map<string, { session: DiarySession; seenAt: number }>();

  const find = (id: string | undefined): DiarySession | undefined => {
    const entry = id ? sessions.get(id) : undefined;
    if (!entry || !id) return undefined;
    if (now() - entry.seenAt > IDLE_MS) {
      sessions.delete(id);
      return undefined;
    }
    // Re-inserting keeps the map in least-recently-used order for the cap below.
    sessions.delete(id);
    sessions.set(id, { session: entry.session, seenAt: now() });
    return entry.session;
  };

  return {
    find,
    /** The session of this cookie, or a new one (the caller sets the cookie). */
    open(id: string | undefined): [string, DiarySession] {
      const existing = find(id);
      if (id && existing) return [id, existing];
      const fresh = randomBytes(18).toString('base64url');
      const session: DiarySession = {};
      sessions.set(fresh, { session, seenAt: now() });
      if (sessions.size > MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
      return [fresh, session];
    },
    end(id: string | undefined): DiarySession | undefined {
      const session = find(id);
      if (id) sessions.delete(id);
      return session;
    },
  };
}
