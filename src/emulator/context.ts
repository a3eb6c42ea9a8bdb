import type { Openssl } from '../esia/openssl.js';
import type { RefreshStringVariant } from '../esia/protocol.js';
import type { Persona } from './personas.js';
import type { Registry } from './registry.js';
import type { Grant, TokenKeys } from './tokens.js';
import { TtlMap } from './ttl-map.js';
import type { ViolationLog } from './violations.js';

/** Switches tests flip to make the emulator misbehave like the real ESIA sometimes does (§9.12). */
export interface Faults {
  /** Delay before answering, in ms. */
  delayMs: number;
  /** Which endpoints the delay applies to: the back channel (token + REST) or everything. */
  delayScope: 'backchannel' | 'all';
  /** Back-channel endpoints answer HTTP 500 with an HTML error page (ESIA-007007 class). */
  serverError: boolean;
  /** ESIA-007008: maintenance / overload on every endpoint. */
  maintenance: boolean;
  /** Added to the emulator's clock: a skew between ESIA and the system. */
  clockOffsetMs: number;
  /** Successful token responses carry a fresh UUID as `state` instead of the request's. */
  wrongState: boolean;
  /** The person resource ignores ?embed=(contacts.elements,…): its collections only on their own paths. */
  personEmbedIgnored: boolean;
}

export const NO_FAULTS: Faults = { delayMs: 0, delayScope: 'backchannel', serverError: false, maintenance: false, clockOffsetMs: 0, wrongState: false, personEmbedIgnored: false };

export interface AuthRequest {
  protocol: 'v1' | 'v2';
  clientId: string;
  redirectUri: string;
  scope: string;
  state: string;
  offline: boolean;
  personFilter: string | undefined;
}

export interface Session {
  oid: string;
  sid: string;
  authTime: number;
}

export interface CodeGrant extends Grant {
  redirectUri: string;
}

export interface EmulatorSettings {
  /** [?] ESIA's timestamp window is unknown (docs/esia-protocol.md §4.2); ± this many ms. */
  timestampWindowMs: number;
  codeTtlMs: number;
  accessTtlSec: number;
  idTtlSec: number;
  sessionTtlMs: number;
  /** [?] which string a refresh request signs (§2.2). */
  refreshString: RefreshStringVariant;
  /** [?] Restrict logout's redirect_url to the origins of registered redirect URIs. */
  strictLogoutRedirect: boolean;
}

export interface EmulatorContext {
  openssl: Openssl;
  registry: Registry;
  personas: Map<string, Persona>;
  settings: EmulatorSettings;
  faults: Faults;
  keys: { current: TokenKeys; published: string };
  /** Filled in once the server listens. */
  baseUrl: string;
  issuer: string;
  now(): number;
  requests: TtlMap<AuthRequest>;
  sessions: TtlMap<Session>;
  codes: TtlMap<CodeGrant>;
  accessTokens: TtlMap<Grant>;
  refreshTokens: TtlMap<Grant & { redirectUri: string }>;
  violations: ViolationLog;
}

export function createStores(now: () => number) {
  return {
    requests: new TtlMap<AuthRequest>(now),
    sessions: new TtlMap<Session>(now),
    codes: new TtlMap<CodeGrant>(now),
    accessTokens: new TtlMap<Grant>(now),
    refreshTokens: new TtlMap<Grant & { redirectUri: string }>(now),
  };
}

/** Scopes ESIA knows (§5); anything else is ESIA-007006. */
export const KNOWN_SCOPES = new Set([
  'openid', 'fullname', 'birthdate', 'birthplace', 'gender', 'snils', 'inn', 'id_doc', 'email', 'mobile', 'contacts', 'addresses',
  'medical_doc', 'military_doc', 'foreign_passport_doc', 'drivers_licence_doc', 'birth_cert_doc', 'residence_doc', 'temporary_residence_doc',
  'vehicles', 'usr_org', 'usr_avt', 'usr_reg_cxt',
  'kid_fullname', 'kid_birthdate', 'kid_gender', 'kid_snils', 'kid_inn', 'kid_birth_cert_doc', 'kid_medical_doc',
]);
