import { randomToken, sha256Base64url } from '../crypto/random.js';
import type { EsiaLevel } from '../esia/person.js';
import { jsonState, type StateStore } from '../store/state-store.js';
import { stateKeys } from './state-keys.js';

/** What an authorization code stands for, bound to client, redirect_uri and PKCE challenge. */
export interface CodeGrant {
  clientId: string;
  redirectUri: string;
  codeChallenge: string | undefined;
  nonce: string | undefined;
  scope: string[];
  resource: string[];
  profileId: string;
  esiaOid: string;
  level: EsiaLevel;
  authTime: number;
  sessionSid: string | undefined;
  /** Milliseconds since epoch; checked besides the store's TTL. */
  expiresAt: number;
}

/** What a redeemed code issued, so a replay can revoke it (RFC 6749 §4.1.2, RFC 9700 §4.5). */
export interface Redemption {
  /** Only this client's replay revokes: anyone may present a code they saw (RFC 9700 §4.5). */
  clientId: string;
  familyId: string;
  accessTokenJti: string;
  accessTokenExpiresAt: number;
}

export interface CodeStore {
  issue(grant: Omit<CodeGrant, 'expiresAt'>): Promise<string>;
  /**
   * Takes the code only for the client it was issued to, with the redirect_uri it was issued
   * for, in one atomic step (of two concurrent redemptions exactly one gets `taken`); the grant
   * comes back either way, null when the code is absent. Anyone else leaves it in place.
   */
  redeem(code: string, by: { clientId: string; redirectUri: string }): Promise<{ grant: CodeGrant; taken: boolean } | null>;
  recordRedemption(code: string, redemption: Redemption): Promise<void>;
  findRedemption(code: string): Promise<Redemption | null>;
}

export interface CodeStoreDeps {
  state: StateStore;
  now: () => number;
  ttlSeconds: number;
  /** How long a replay is still recognised (and what it issued revoked): the access token lifetime. */
  redemptionMemorySeconds: number;
}

export function createCodeStore(deps: CodeStoreDeps): CodeStore {
  const json = jsonState(deps.state);
  return {
    async issue(grant) {
      const code = randomToken(32);
      const ttlMs = deps.ttlSeconds * 1000;
      await json.put<CodeGrant>(stateKeys.code(sha256Base64url(code)), { ...grant, expiresAt: deps.now() + ttlMs }, ttlMs);
      return code;
    },
    async redeem(code, by) {
      const answer = await json.takeIfFields<CodeGrant>(stateKeys.code(sha256Base64url(code)), { clientId: [by.clientId], redirectUri: [by.redirectUri] });
      return answer && { grant: answer.value, taken: answer.taken };
    },
    async recordRedemption(code, redemption) {
      await json.put(stateKeys.redeemedCode(sha256Base64url(code)), redemption, deps.redemptionMemorySeconds * 1000);
    },
    async findRedemption(code) {
      return json.get<Redemption>(stateKeys.redeemedCode(sha256Base64url(code)));
    },
  };
}
