import type { ColumnType, Generated, JSONColumnType } from 'kysely';

/** Table types for kysely; keep in step with migrations/. */
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T extends object> = JSONColumnType<T, string, string>;
/** A JSON column with a database default: optional on insert. */
type JsonWithDefault<T extends object> = ColumnType<T, string | undefined, string>;
type WithDefault<T> = ColumnType<T, T | undefined, T>;

export interface SigningKeysTable {
  kid: string;
  alg: string;
  public_jwk: Json<Record<string, unknown>>;
  private_jwk_encrypted: string;
  created_at: CreatedAt;
  activates_at: ColumnType<Date, Date | string, Date | string>;
  retired_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  unpublish_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface ClientsTable {
  client_id: string;
  name: string;
  secret_hash: string | null;
  jwks: Json<{ keys: Record<string, unknown>[] }> | null;
  auth_method: string;
  redirect_uris: Json<string[]>;
  post_logout_redirect_uris: JsonWithDefault<string[]>;
  regions: JsonWithDefault<string[]>;
  allowed_scopes: Json<string[]>;
  allowed_resources: JsonWithDefault<string[]>;
  id_token_signed_response_alg: WithDefault<string>;
  refresh_token_ttl_seconds: WithDefault<number>;
  /** Migration 0005. */
  allowed_origins: JsonWithDefault<string[]>;
  authorization_error_iss: WithDefault<boolean>;
  /** Migration 0007. */
  require_pushed_authorization_requests: WithDefault<boolean>;
  /** Migration 0009. */
  backchannel_logout_uri: ColumnType<string | null, string | null | undefined, string | null>;
  backchannel_logout_session_required: WithDefault<boolean>;
  product_name: string | null;
  support_contact: string | null;
  help_uri: string | null;
  client_uri: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface ProfilesTable {
  id: string;
  login: string;
  password_hash: string | null;
  /** Keyed HMAC of the last imported password (migration 0004): skips re-hashing an unchanged one. */
  password_digest: ColumnType<string | null, string | null | undefined, string | null>;
  last_name: string;
  first_name: string;
  middle_name: string | null;
  /** ISO date (yyyy-mm-dd); read back as a string, see toIsoDate in the repos. */
  birth_date: ColumnType<Date | string | null, string | null, string | null>;
  snils_hmac: string | null;
  snils_last4: string | null;
  email: string | null;
  email_confirmed: WithDefault<boolean>;
  roles: JsonWithDefault<string[]>;
  school_ids: JsonWithDefault<string[]>;
  /** Migration 0006: class names, as the directory import gives them. */
  classes: JsonWithDefault<string[]>;
  activated: WithDefault<boolean>;
  region: string;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

/** Migration 0006: the school directory (names for the ids profiles carry). */
export interface SchoolsTable {
  id: string;
  full_name: string;
  short_name: string;
  municipality: string;
  region: string;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface AccountLinksTable {
  esia_oid: string;
  profile_id: string;
  method: string;
  is_default: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: CreatedAt;
  last_login_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface AuditEventsTable {
  id: Generated<string>;
  at: CreatedAt;
  actor: string;
  action: string;
  target: string | null;
  outcome: string;
  reason: string | null;
  region: string | null;
  client_id: string | null;
  request_id: string | null;
  details: ColumnType<Record<string, unknown>, string | undefined, string>;
}

export interface RefreshTokenFamiliesTable {
  id: string;
  client_id: string;
  profile_id: string;
  esia_oid: string;
  esia_level: string;
  auth_time: ColumnType<Date, Date | string, Date | string>;
  scope: Json<string[]>;
  resource: JsonWithDefault<string[]>;
  session_sid: string | null;
  created_at: CreatedAt;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  revoked_reason: string | null;
  /** Migration 0008. */
  dpop_jkt: string | null;
}

export interface RefreshTokensTable {
  token_hash: string;
  family_id: string;
  created_at: CreatedAt;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  successor_hash: string | null;
}

/** Migration 0009: logout tokens owed to clients (the outbox). */
export interface BackchannelLogoutsTable {
  id: Generated<string>;
  client_id: string;
  sub: string;
  sid: string | null;
  reason: string;
  created_at: CreatedAt;
  next_attempt_at: ColumnType<Date, Date | string | undefined, Date | string>;
  attempts: WithDefault<number>;
  last_error: string | null;
  gave_up_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface Database {
  signing_keys: SigningKeysTable;
  clients: ClientsTable;
  profiles: ProfilesTable;
  schools: SchoolsTable;
  account_links: AccountLinksTable;
  audit_events: AuditEventsTable;
  refresh_token_families: RefreshTokenFamiliesTable;
  refresh_tokens: RefreshTokensTable;
  backchannel_logouts: BackchannelLogoutsTable;
}
