/**
 * The register of processing (152-ФЗ): every Postgres column, state-store key family and token
 * claim the broker keeps or passes on, with its source, purpose, readers, retention and
 * protection. docs/personal-data.md shows it as a table rendered from this list
 * (`npx tsx src/admin/render-register.ts`); a test compares the list with the migrated schema
 * and the key functions, so a new column or key family cannot go unregistered.
 */
export interface RegisterEntry {
  store: 'postgres' | 'state' | 'token';
  /** Table, key family (prefix ending in `:`), or token. */
  where: string;
  /** Columns / claims; empty for a key family (the row is the whole value). */
  fields: readonly string[];
  personal: 'yes' | 'pseudonymous' | 'no';
  data: string;
  source: string;
  purpose: string;
  readers: string;
  retention: string;
  protection: string;
}

const ADMIN_READ = 'admin API/CLI/page (person view)';
const TECH = { personal: 'no', source: 'the broker', readers: 'the broker', protection: 'database access only' } as const;

export const REGISTER: readonly RegisterEntry[] = [
  // profiles: the diary directory, imported by the diary operator.
  { store: 'postgres', where: 'profiles', fields: ['id'], personal: 'pseudonymous', data: 'diary profile id', source: 'directory import', purpose: 'the `sub` of our tokens, link target', readers: `clients (sub), ${ADMIN_READ}`, retention: 'until the profile is deleted or erased (kept as a tombstone id)', protection: 'opaque id' },
  { store: 'postgres', where: 'profiles', fields: ['login'], personal: 'yes', data: 'diary login', source: 'directory import', purpose: 'manual link by login and password', readers: ADMIN_READ, retention: 'until deleted or erased', protection: 'database access; never logged' },
  { store: 'postgres', where: 'profiles', fields: ['password_hash', 'password_digest'], personal: 'yes', data: 'diary password hash; keyed HMAC of the imported hash', source: 'directory import', purpose: 'manual link; skipping an unchanged password on re-import', readers: 'the broker only (admins see has_password)', retention: 'until deleted or erased', protection: 'scrypt hash; HMAC under SNILS_HMAC_KEY' },
  { store: 'postgres', where: 'profiles', fields: ['last_name', 'first_name', 'middle_name', 'birth_date'], personal: 'yes', data: 'full name, birth date', source: 'directory import', purpose: 'matching to the ESIA person; profile claims', readers: `clients with scope profile (id_token, /userinfo), ${ADMIN_READ}, reports (name)`, retention: 'until deleted or erased', protection: 'database access; never logged' },
  { store: 'postgres', where: 'profiles', fields: ['snils_hmac', 'snils_last4'], personal: 'yes', data: 'SNILS as keyed HMAC; its last 4 digits', source: 'directory import', purpose: 'matching adults by name + SNILS; support reads out the last 4', readers: `the broker (HMAC); ${ADMIN_READ} (last 4)`, retention: 'until deleted or erased', protection: 'HMAC-SHA256 under SNILS_HMAC_KEY; SNILS never stored in clear' },
  { store: 'postgres', where: 'profiles', fields: ['email', 'email_confirmed'], personal: 'yes', data: 'e-mail and whether it is confirmed', source: 'directory import', purpose: 'matching children by confirmed e-mail; email claim', readers: `clients with scope email, ${ADMIN_READ}`, retention: 'until deleted or erased', protection: 'database access; never logged' },
  { store: 'postgres', where: 'profiles', fields: ['roles', 'school_ids', 'classes', 'region', 'activated'], personal: 'pseudonymous', data: 'roles, schools, classes, region, activation', source: 'directory import', purpose: 'eligibility rules; diary claims (not classes); the chooser and reports (classes)', readers: `clients with scope diary, access tokens, ${ADMIN_READ}, reports`, retention: 'until deleted (kept after erasure: no identity without the profile fields)', protection: 'database access' },
  { store: 'postgres', where: 'profiles', fields: ['created_at', 'updated_at'], ...TECH, data: 'row times', purpose: 'operations', retention: 'with the row' },
  // schools: the school directory, names of organisations (no person in it).
  { store: 'postgres', where: 'schools', fields: ['id', 'full_name', 'short_name', 'municipality', 'region', 'created_at', 'updated_at'], ...TECH, source: 'school directory import', data: 'school names, municipality, region', purpose: 'names on the login pages and in reports; report filters', readers: 'the broker; admin API/CLI/page', retention: 'until replaced by an import' },
  // account_links: the person's own choice, or an admin's.
  { store: 'postgres', where: 'account_links', fields: ['esia_oid', 'profile_id'], personal: 'yes', data: 'ESIA account id linked to a diary profile', source: 'ESIA (openid) and the person / an admin', purpose: 'logging the person into the diary', readers: ADMIN_READ, retention: 'until unlinked, the profile deleted, or the person erased', protection: 'database access' },
  { store: 'postgres', where: 'account_links', fields: ['method', 'is_default', 'created_at', 'last_login_at'], personal: 'pseudonymous', data: 'how and when linked, last login', source: 'the broker', purpose: 'chooser default; login reports', readers: `${ADMIN_READ}, reports`, retention: 'with the link', protection: 'database access' },
  // audit_events: the trail; personal only through the identifiers.
  { store: 'postgres', where: 'audit_events', fields: ['actor', 'target', 'details'], personal: 'pseudonymous', data: '`esia:<oid>` actor, profile id target, ids in details (never names, SNILS, e-mails)', source: 'the broker', purpose: 'accountability, login reports', readers: `${ADMIN_READ}, reports, /admin/audit`, retention: 'RETENTION_AUDIT_DAYS (logins: RETENTION_LOGIN_EVENTS_DAYS); on erasure identifiers become keyed HMACs', protection: 'ids only; a SNILS typed into a free-text field is masked on write; erasure pseudonymises' },
  { store: 'postgres', where: 'audit_events', fields: ['id', 'at', 'action', 'outcome', 'reason', 'region', 'client_id', 'request_id'], ...TECH, data: 'what happened, when, where', purpose: 'accountability, reports', retention: 'as the event' },
  // refresh_token_families / refresh_tokens: the grants.
  { store: 'postgres', where: 'refresh_token_families', fields: ['profile_id', 'esia_oid'], personal: 'yes', data: 'who holds the grant', source: 'the login', purpose: 'refresh tokens, revocation, logout', readers: `the broker; ${ADMIN_READ} (active grants, no tokens)`, retention: 'expiry + 1 day, then purged; deleted on erasure', protection: 'database access' },
  { store: 'postgres', where: 'refresh_token_families', fields: ['id', 'client_id', 'esia_level', 'auth_time', 'scope', 'resource', 'session_sid', 'created_at', 'expires_at', 'revoked_at', 'revoked_reason', 'dpop_jkt'], ...TECH, data: 'grant metadata (dpop_jkt: thumbprint of a public client\'s DPoP key)', purpose: 'token rotation and revocation', retention: 'expiry + 1 day' },
  { store: 'postgres', where: 'refresh_tokens', fields: ['token_hash', 'family_id', 'created_at', 'expires_at', 'used_at', 'successor_hash'], ...TECH, data: 'refresh token SHA-256, rotation chain', purpose: 'refresh, reuse detection', retention: 'with the family', protection: 'only hashes; the token is never stored' },
  // backchannel_logouts: logout tokens owed to clients (OIDC Back-Channel Logout), until delivered.
  { store: 'postgres', where: 'backchannel_logouts', fields: ['sub'], personal: 'pseudonymous', data: 'diary profile id whose grant ended', source: 'the broker', purpose: 'telling the client its login session ended', readers: 'the broker; the client (logout token)', retention: 'deleted when delivered; given up: 1 day later (hourly purge)', protection: 'database access' },
  { store: 'postgres', where: 'backchannel_logouts', fields: ['id', 'client_id', 'sid', 'reason', 'created_at', 'next_attempt_at', 'attempts', 'last_error', 'gave_up_at'], ...TECH, data: 'delivery state', purpose: 'retries with backoff', retention: 'deleted when delivered; given up: 1 day later (hourly purge)' },
  // Configuration: no personal data.
  { store: 'postgres', where: 'clients', fields: ['client_id', 'name', 'secret_hash', 'jwks', 'auth_method', 'redirect_uris', 'post_logout_redirect_uris', 'regions', 'allowed_scopes', 'allowed_resources', 'id_token_signed_response_alg', 'refresh_token_ttl_seconds', 'allowed_origins', 'authorization_error_iss', 'require_pushed_authorization_requests', 'product_name', 'support_contact', 'help_uri', 'client_uri', 'backchannel_logout_uri', 'backchannel_logout_session_required', 'created_at', 'updated_at'], ...TECH, source: 'ops (clients.json, admin)', data: 'registered diary frontends', purpose: 'OAuth clients', retention: 'until removed', protection: 'secret as hash only' },
  { store: 'postgres', where: 'signing_keys', fields: ['kid', 'alg', 'public_jwk', 'private_jwk_encrypted', 'created_at', 'activates_at', 'retired_at', 'unpublish_at'], ...TECH, data: 'our signing keys', purpose: 'token signatures', retention: 'until removed', protection: 'private key sealed under KEY_ENCRYPTION_KEY' },
  { store: 'postgres', where: 'kysely_migration', fields: ['name', 'timestamp'], ...TECH, data: 'applied migrations', purpose: 'schema version', retention: 'forever' },
  { store: 'postgres', where: 'kysely_migration_lock', fields: ['id', 'is_locked'], ...TECH, data: 'migration lock', purpose: 'one migrator at a time', retention: 'forever' },
  // State store (Redis / in-process): every key expires.
  { store: 'state', where: 'oidc:interaction:', fields: [], personal: 'no', data: 'a pending authorization request (client, redirect, scope)', source: 'the client', purpose: 'the login in progress', readers: 'the broker', retention: 'minutes (TTL)', protection: 'random id' },
  { store: 'state', where: 'oidc:interaction-superseded:', fields: [], personal: 'no', data: 'the diary redirect (login_superseded) of a pending login the browser gave up for newer ones', source: 'the broker', purpose: 'sending a late return from ESIA back to its diary', readers: 'the broker', retention: 'OIDC_INTERACTION_TTL_SECONDS (TTL)', protection: 'random id; no personal data in the redirect' },
  { store: 'state', where: 'oidc:session:', fields: [], personal: 'yes', data: 'SSO session: ESIA oid, level, profile ids', source: 'the login', purpose: 'single sign-on, logout', readers: 'the broker', retention: 'SESSION idle/absolute TTL; deleted on erasure', protection: 'key is SHA-256 of the cookie' },
  { store: 'state', where: 'oidc:sessions-of:', fields: [], personal: 'pseudonymous', data: 'SHA-256 keys of one ESIA account\'s SSO sessions', source: 'the broker', purpose: 'ending them all on erasure', readers: 'the broker', retention: 'session absolute TTL; deleted on erasure', protection: 'key is a keyed HMAC of the oid' },
  { store: 'state', where: 'oidc:code:', fields: [], personal: 'yes', data: 'authorization code grant: profile id, ESIA oid', source: 'the login', purpose: 'code exchange', readers: 'the broker', retention: 'code TTL (60 s)', protection: 'key is SHA-256 of the code' },
  { store: 'state', where: 'oidc:code-redeemed:', fields: [], personal: 'no', data: 'family id of a redeemed code', source: 'the broker', purpose: 'revoking on replay', readers: 'the broker', retention: 'code TTL', protection: 'hashed key' },
  { store: 'state', where: 'oidc:revoked-at:', fields: [], personal: 'no', data: 'revoked access token mark', source: 'the broker', purpose: 'revocation', readers: 'the broker', retention: 'access token TTL', protection: 'jti only' },
  { store: 'state', where: 'oidc:par:', fields: [], personal: 'no', data: 'a pushed authorization request (client, redirect, scope, state, nonce)', source: 'the client', purpose: 'PAR: the login the request_uri starts', readers: 'the broker', retention: '60 s (TTL), or until used once', protection: 'key is SHA-256 of the request_uri' },
  { store: 'state', where: 'oidc:dpop-jti:', fields: [], personal: 'no', data: 'a DPoP proof seen (hash of key thumbprint and jti)', source: 'the client', purpose: 'DPoP replay protection across instances', readers: 'the broker', retention: '120 s (TTL)', protection: 'hash only' },
  { store: 'state', where: 'oidc:client-assertion:', fields: [], personal: 'no', data: 'used client assertion jti', source: 'the client', purpose: 'replay protection', readers: 'the broker', retention: 'assertion lifetime', protection: 'ids only' },
  { store: 'state', where: 'oidc:rate:', fields: [], personal: 'pseudonymous', data: 'refused calls per caller (claimed client_id + address)', source: 'the caller', purpose: 'rate limit', readers: 'the broker', retention: 'one minute (TTL)', protection: 'key holds only a keyed HMAC of client_id and address (key derived from SNILS_HMAC_KEY)' },
  { store: 'state', where: 'esia:pending:', fields: [], personal: 'no', data: 'ESIA state → interaction', source: 'the broker', purpose: 'the ESIA round trip', readers: 'the broker', retention: 'minutes (TTL)', protection: 'random ids' },
  { store: 'state', where: 'login:resolution:', fields: [], personal: 'yes', data: 'the ESIA person (name, SNILS, birth date, e-mail) while the person chooses or links', source: 'ESIA', purpose: 'finishing the login', readers: 'the broker', retention: '10 minutes (TTL)', protection: 'AES-GCM sealed under KEY_ENCRYPTION_KEY' },
  { store: 'state', where: '{accounts:link-failures}:', fields: [], personal: 'pseudonymous', data: 'failed manual-link counters by login, ESIA oid, IP', source: 'the broker', purpose: 'brute-force limits', readers: 'the broker', retention: 'window TTL (a day at most); login and oid counters deleted on erasure', protection: 'key holds a keyed HMAC of the id (key derived from SNILS_HMAC_KEY)' },
  { store: 'state', where: 'admin:session:', fields: [], personal: 'no', data: '/admin page session', source: 'the broker', purpose: 'admin page login', readers: 'the broker', retention: 'ADMIN_SESSION TTL', protection: 'key is SHA-256 of the cookie' },
  { store: 'state', where: 'admin:login-failures:', fields: [], personal: 'pseudonymous', data: 'failed admin logins per IP', source: 'the broker', purpose: 'brute-force limit', readers: 'the broker', retention: 'window TTL', protection: 'key holds a keyed HMAC of the IP (key derived from SNILS_HMAC_KEY)' },
  // Tokens we issue: what the clients receive.
  { store: 'token', where: 'id_token, /userinfo', fields: ['sub', 'family_name', 'given_name', 'middle_name', 'name', 'birthdate'], personal: 'yes', data: 'profile id, name, birth date (scope profile)', source: 'profiles', purpose: 'the diary knows who logged in', readers: 'the client that asked for the scope', retention: 'the client\'s (its own register)', protection: 'signed; TLS' },
  { store: 'token', where: 'id_token, /userinfo', fields: ['email', 'email_verified'], personal: 'yes', data: 'e-mail (scope email)', source: 'profiles', purpose: 'contact', readers: 'the client that asked for the scope', retention: 'the client\'s', protection: 'signed; TLS' },
  { store: 'token', where: 'id_token, access token, /userinfo', fields: ['roles', 'school_ids', 'region', 'acr', 'amr', 'auth_time', 'sid'], personal: 'pseudonymous', data: 'diary authorization data, ESIA level, session id', source: 'profiles, the login', purpose: 'authorization in the diary backend', readers: 'clients and resource servers', retention: 'token lifetime', protection: 'signed; SNILS and ESIA oid are never claims' },
  { store: 'token', where: 'logout token (back-channel logout)', fields: ['sub', 'sid', 'events'], personal: 'pseudonymous', data: 'profile id and session id whose login ended', source: 'the broker', purpose: 'the client ends its own session', readers: 'the client with a backchannel_logout_uri', retention: '2 minutes (exp)', protection: 'signed; TLS; no other claims' },
];

const cell = (text: string) => text.replace(/\|/g, '\\|');

/** The table docs/personal-data.md holds between its register markers. */
export function renderRegisterTable(): string {
  const head = '| store | where | fields | personal | data | source | purpose | who reads it | kept | protection |\n|---|---|---|---|---|---|---|---|---|---|\n';
  return (
    head +
    REGISTER.map((e) => `| ${e.store} | \`${e.where}\` | ${e.fields.map((f) => `\`${f}\``).join(', ') || '(value)'} | ${e.personal} | ${[e.data, e.source, e.purpose, e.readers, e.retention, e.protection].map(cell).join(' | ')} |`).join('\n') +
    '\n'
  );
}

export const REGISTER_MARKERS = { start: '<!-- register:start (generated: npx tsx src/admin/render-register.ts) -->', end: '<!-- register:end -->' } as const;
