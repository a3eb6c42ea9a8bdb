/**
 * Which grant a refresh token this process has just issued belongs to, by the token's hash:
 * the next refresh of a chain then reads its grant from the grant cache instead of reading the
 * token from Postgres, and its rotation is the only round trip. Only an index of our own
 * answers: the conditional write checks the token is still unused and its grant live, so an
 * entry that has gone stale costs a fallback, never a wrong answer. A token is used once, so a
 * lookup takes its entry; the oldest go first beyond maxEntries (tokens nobody came back with).
 */
export interface RecentRefreshTokens {
  remember(tokenHash: string, familyId: string): void;
  /** The family the token was issued in, if this process issued it and it was not looked up yet. */
  take(tokenHash: string): string | undefined;
  readonly size: number;
}

/** About 100 bytes an entry: 50,000 are ~5 MB. */
export const RECENT_REFRESH_TOKENS = 50_000;

export function createRecentRefreshTokens(maxEntries = RECENT_REFRESH_TOKENS): RecentRefreshTokens {
  const families = new Map<string, string>();
  return {
    remember(tokenHash, familyId) {
      families.set(tokenHash, familyId);
      if (families.size > maxEntries) families.delete(families.keys().next().value!);
    },
    take(tokenHash) {
      const familyId = families.get(tokenHash);
      if (familyId !== undefined) families.delete(tokenHash);
      return familyId;
    },
    get size() {
      return families.size;
    },
  };
}
