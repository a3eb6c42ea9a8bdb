import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { SIGNING_ALGS } from '../crypto/jwt.js';
import { MIN_CLIENT_SECRET_LENGTH, hashClientSecret, isClientSecretHash, verifyClientSecret } from '../crypto/secret-hash.js';
import { readable } from '../validation/readable-text.js';
import { CLIENT_AUTH_METHODS, SUPPORTED_SCOPES, type Client, type ClientRepo } from './clients.js';

/**
 * `config/clients.json`: clients seeded into the registry at start (upsert by client_id).
 * Fields follow OIDC Dynamic Client Registration names; see docs/oidc.md for the format.
 * Keys starting with `$` (e.g. `$comment`) are ignored, since JSON has no comments.
 */
const uri = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2000).refine((value) => !value.includes('#'), 'must not contain a fragment');
/** A browser origin as the Origin header carries it: scheme, host and port, nothing else. */
const origin = z
  .string()
  .max(300)
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
    } catch {
      return false;
    }
  }, 'must be an origin like https://diary.example.ru (no path, no trailing slash)');
const region = z.string().regex(/^\d{2}$/, 'must be a two-digit region code');

const dropComments = (value: unknown) =>
  value && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).filter(([key]) => !key.startsWith('$'))) : value;

const clientFields = z
  .object({
    client_id: z.string().regex(/^[\w.:-]{1,128}$/, 'letters, digits and . _ : - only (1-128)'),
    client_name: readable(z.string().min(1).max(200), 'name'),
    token_endpoint_auth_method: z.enum(CLIENT_AUTH_METHODS).default('client_secret_basic'),
    client_secret: z.string().min(MIN_CLIENT_SECRET_LENGTH, `must be at least ${MIN_CLIENT_SECRET_LENGTH} characters`).optional(),
    client_secret_hash: z.string().refine(isClientSecretHash, 'must be sha256:<base64url of 32 bytes>').optional(),
    jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1) }).optional(),
    redirect_uris: z.array(uri).min(1),
    post_logout_redirect_uris: z.array(uri).default([]),
    regions: z.array(region).default([]),
    scope: readable(z.string().max(1024)).default('openid profile email diary offline_access'),
    resources: z.array(uri).default([]),
    id_token_signed_response_alg: z.enum(SIGNING_ALGS).default('ES256'),
    refresh_token_ttl_seconds: z.number().int().min(0).max(365 * 24 * 3600).default(30 * 24 * 3600),
    allowed_origins: z.array(origin).max(20).default([]),
    authorization_error_iss: z.boolean().default(true),
    require_pushed_authorization_requests: z.boolean().default(false),
    // null (in a PATCH) removes it.
    backchannel_logout_uri: uri.nullable().optional(),
    backchannel_logout_session_required: z.boolean().default(false),
    product_name: readable(z.string().trim().min(1).max(100), 'name').optional(),
    support_contact: readable(z.string().trim().min(1).max(300)).optional(),
    help_uri: uri.optional(),
    client_uri: uri.optional(),
  })
  .strict();

/** One client in the registry's wire form (the file format; the admin API takes the same). */
export const clientEntry = clientFields.superRefine((entry, ctx) => {
  const usesSecret = entry.token_endpoint_auth_method.startsWith('client_secret_');
  const secrets = [entry.client_secret, entry.client_secret_hash].filter((v) => v !== undefined).length;
  if (usesSecret && secrets !== 1) ctx.addIssue({ code: 'custom', message: 'give exactly one of client_secret or client_secret_hash' });
  if (!usesSecret && secrets > 0) ctx.addIssue({ code: 'custom', message: `${entry.token_endpoint_auth_method} clients have no secret` });
  if (entry.token_endpoint_auth_method === 'private_key_jwt' && !entry.jwks) ctx.addIssue({ code: 'custom', message: 'private_key_jwt needs jwks' });
  const scopes = entry.scope.split(' ');
  if (!scopes.includes('openid')) ctx.addIssue({ code: 'custom', message: 'scope must include openid' });
  const unknown = scopes.filter((s) => !(SUPPORTED_SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0) ctx.addIssue({ code: 'custom', message: `unknown scope values: ${unknown.join(' ')}` });
});

const clientsFile = z.preprocess(dropComments, z.object({ clients: z.array(z.preprocess(dropComments, clientEntry)) }).strict());

export function parseClientsFile(text: string, source = 'clients.json'): Client[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
  const parsed = clientsFile.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`${source}: ${problems.join('; ')}`);
  }
  return parsed.data.clients.map(clientFromEntry);
}

export type ClientEntry = z.infer<typeof clientEntry>;

export function clientFromEntry(entry: ClientEntry): Client {
  return {
    clientId: entry.client_id,
    name: entry.client_name,
    authMethod: entry.token_endpoint_auth_method,
    secretHash: entry.client_secret_hash ?? (entry.client_secret ? hashClientSecret(entry.client_secret) : undefined),
    jwks: entry.jwks as Client['jwks'],
    redirectUris: entry.redirect_uris,
    postLogoutRedirectUris: entry.post_logout_redirect_uris,
    regions: entry.regions,
    allowedScopes: entry.scope.split(' ') as Client['allowedScopes'],
    allowedResources: entry.resources,
    idTokenAlg: entry.id_token_signed_response_alg,
    refreshTokenTtlSeconds: entry.refresh_token_ttl_seconds,
    allowedOrigins: entry.allowed_origins,
    authorizationErrorIss: entry.authorization_error_iss,
    requirePushedAuthorizationRequests: entry.require_pushed_authorization_requests,
    backchannelLogoutUri: entry.backchannel_logout_uri ?? undefined,
    backchannelLogoutSessionRequired: entry.backchannel_logout_session_required,
    productName: entry.product_name,
    supportContact: entry.support_contact,
    helpUri: entry.help_uri,
    clientUri: entry.client_uri,
  };
}

/** The wire form of a stored client; the secret is represented only by its hash. */
export function entryFromClient(client: Client): ClientEntry {
  return {
    client_id: client.clientId,
    client_name: client.name,
    token_endpoint_auth_method: client.authMethod,
    ...(client.secretHash ? { client_secret_hash: client.secretHash } : {}),
    ...(client.jwks ? { jwks: client.jwks as ClientEntry['jwks'] } : {}),
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    regions: client.regions,
    scope: client.allowedScopes.join(' '),
    resources: client.allowedResources,
    id_token_signed_response_alg: client.idTokenAlg,
    refresh_token_ttl_seconds: client.refreshTokenTtlSeconds,
    allowed_origins: client.allowedOrigins ?? [],
    authorization_error_iss: client.authorizationErrorIss ?? true,
    require_pushed_authorization_requests: client.requirePushedAuthorizationRequests ?? false,
    ...(client.backchannelLogoutUri ? { backchannel_logout_uri: client.backchannelLogoutUri } : {}),
    backchannel_logout_session_required: client.backchannelLogoutSessionRequired ?? false,
    ...(client.productName ? { product_name: client.productName } : {}),
    ...(client.supportContact ? { support_contact: client.supportContact } : {}),
    ...(client.helpUri ? { help_uri: client.helpUri } : {}),
    ...(client.clientUri ? { client_uri: client.clientUri } : {}),
  };
}

/**
 * The demo diary's secret, published in config/clients.json's $comment and the README so a
 * newcomer can run the demo. A client holding it is anybody's client: production never seeds one.
 */
export const PUBLISHED_DEMO_SECRET = 'demo-diary-secret-change-me-0123456789abcdef';

const holdsPublishedSecret = (client: Client) => client.secretHash !== undefined && verifyClientSecret(PUBLISHED_DEMO_SECRET, client.secretHash);

/**
 * Upserts every client of CONFIG_DIR/clients.json; a missing file seeds nothing. With
 * `production`, a client whose secret is the published demo one is skipped and named.
 */
export async function seedClientsFromFile(configDir: string, repo: ClientRepo, options: { production?: boolean } = {}): Promise<{ seeded: string[]; refused: string[] }> {
  const file = join(configDir, 'clients.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { seeded: [], refused: [] };
    throw error;
  }
  const clients = parseClientsFile(text, file);
  const refused = options.production ? clients.filter(holdsPublishedSecret) : [];
  const seeded = clients.filter((client) => !refused.includes(client));
  for (const client of seeded) await repo.upsert(client);
  return { seeded: seeded.map((c) => c.clientId), refused: refused.map((c) => c.clientId) };
}
