import type { EsiaLevel } from '../esia/person.js';
import type { CatalogueCode } from '../policy/reason-guide.js';
import type { StateEntry } from '../store/state-store.js';

/**
 * The contract between our authorization server (/authorize, /token) and the login leg
 * (ESIA, policy, matching, the pages). /authorize validates a request, stores it as an
 * Interaction and sends the browser to the login leg; the login leg, once it knows which
 * diary profile the person enters, calls complete() (or fail()) and redirects the browser
 * to the URL it gets back.
 */
export interface Interaction {
  id: string;
  clientId: string;
  redirectUri: string;
  state: string | undefined;
  nonce: string | undefined;
  scope: string[];
  codeChallenge: string | undefined;
  resource: string[];
  /** Two-digit region code the login is for (request parameter or the client's region). */
  region: string;
  /** prompt=login / max_age exceeded: a fresh ESIA login is required. */
  forceLogin: boolean;
  /** From acr_values: a login below this ESIA level is refused, not issued. */
  acrMinimum?: EsiaLevel | undefined;
  createdAt: number;
  /**
   * The browser's broker session when it has one and no fresh login is required: the login
   * leg may offer these profiles (e.g. a chooser) without sending the person to ESIA again.
   */
  sso?: SsoSnapshot | undefined;
}

/** What an SSO session vouches for (see SessionService in sessions.ts). */
export interface SsoSnapshot {
  esiaOid: string;
  level: EsiaLevel;
  /** Seconds since epoch. */
  authTime: number;
  esiaSessionId?: string | undefined;
  /** Diary profiles this person may enter (the ones in the interaction's region come first). */
  profileIds: string[];
}

export interface AuthenticatedProfile {
  /** Diary profile id: becomes `sub`. */
  profileId: string;
  esiaOid: string;
  level: EsiaLevel;
  /** Seconds since epoch. */
  authTime: number;
  esiaSessionId?: string | undefined;
}

export type InteractionFailure =
  | { error: 'access_denied'; reason: CatalogueCode; description: string }
  | { error: 'temporarily_unavailable'; reason: CatalogueCode; description: string }
  | { error: 'server_error'; reason: CatalogueCode; description: string };

export interface InteractionService {
  get(interactionId: string): Promise<Interaction | null>;
  /** Issues the authorization code (and the SSO session) and returns the client redirect. */
  complete(interactionId: string, profile: AuthenticatedProfile): Promise<string>;
  /** Returns the client redirect carrying the OAuth error (redirect_uri already validated). */
  fail(interactionId: string, failure: InteractionFailure): Promise<string>;
}

/**
 * Implemented by the login leg: where to send the browser for an interaction that needs a
 * person. Until ESIA is wired, tests supply one that completes with a fixed profile.
 */
export interface LoginStarter {
  /**
   * Where to send the browser. `alongside`: state-store entries the caller needs stored before
   * the browser goes (/authorize: the interaction itself); the starter writes them with its own
   * state, in one round trip, before it answers.
   */
  start(interaction: Interaction, alongside?: readonly StateEntry[]): Promise<string>;
  /** Where to end the ESIA session too (offered on our logout page); returnTo comes back afterwards. */
  esiaLogoutUrl?(returnTo: string): string | undefined;
}

/** The cookie that binds the browser to its pending interaction (checked on the ESIA callback). */
export const INTERACTION_COOKIE = 'eb_interaction';
export const SESSION_COOKIE = 'eb_session';
