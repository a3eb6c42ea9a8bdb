import { createLocalJWKSet, errors, jwtVerify } from 'jose';
import { verifyClientSecret } from '../../crypto/secret-hash.js';
import { InvalidClient, InvalidRequest } from '../../errors/oauth-errors.js';
import { CLIENT_ASSERTION_ALGS, CLIENT_AUTH_METHODS, type Client, type ClientAuthMethod } from '../clients.js';
import { endpoints, type OidcContext } from '../context.js';
import { textProblem } from '../../validation/readable-text.js';
import { stateKeys } from '../state-keys.js';

/** Client credentials as presented on the wire, before we know which method is in use. */
export interface PresentedCredentials {
  /** From `Authorization: Basic` (already form-decoded). */
  basic: { clientId: string; secret: string } | undefined;
  clientId: string | undefined;
  clientSecret: string | undefined;
  clientAssertionType: string | undefined;
  clientAssertion: string | undefined;
}

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * Client authentication at /token, /introspect and /revoke (RFC 6749 §2.3, OIDC Core §9):
 * identifyMethod → assertEndpointAccepts → findClient → assertRegisteredMethod → verify the
 * credential. Every failure is invalid_client (401); a credential failure never says which
 * part was wrong. `accepted`: the methods this endpoint takes, as its discovery entry says.
 */
export async function authenticateClient(ctx: OidcContext, presented: PresentedCredentials, accepted: readonly ClientAuthMethod[] = CLIENT_AUTH_METHODS): Promise<Client> {
  const { method, clientId } = identifyMethod(presented);
  if (!accepted.includes(method)) throw new InvalidClient(method === 'none' ? 'this endpoint needs client authentication: public clients may not use it' : `${method} is not accepted here`);
  const client = await findClient(ctx, clientId);
  assertRegisteredMethod(client, method);
  switch (method) {
    case 'client_secret_basic':
      verifySecret(client, presented.basic?.secret);
      break;
    case 'client_secret_post':
      verifySecret(client, presented.clientSecret);
      break;
    case 'private_key_jwt':
      await verifyAssertion(ctx, client, presented.clientAssertion ?? '');
      break;
    case 'none':
      break;
  }
  return client;
}

/**
 * The client_id a request claims, before authentication, to key the failure limit on. An
 * assertion client (mod_auth_openidc sends no client_id) is named by the assertion's sub/iss,
 * read unverified: bucketing only, so a forged name fills a bucket at the forger's own address.
 */
export function claimedClientId(presented: PresentedCredentials): string | undefined {
  return presented.basic?.clientId ?? presented.clientId ?? (presented.clientAssertion !== undefined ? unverifiedAssertionClient(presented.clientAssertion) : undefined);
}

function identifyMethod(p: PresentedCredentials): { method: ClientAuthMethod; clientId: string } {
  const used = [p.basic !== undefined, p.clientSecret !== undefined, p.clientAssertion !== undefined].filter(Boolean).length;
  // RFC 6749 §2.3: a client MUST NOT use more than one authentication method per request.
  if (used > 1) throw new InvalidRequest('use exactly one client authentication method');
  if (p.basic) {
    if (p.clientId !== undefined && p.clientId !== p.basic.clientId) throw new InvalidRequest('client_id does not match the Authorization header');
    return { method: 'client_secret_basic', clientId: p.basic.clientId };
  }
  if (p.clientAssertion !== undefined) {
    if (p.clientAssertionType !== JWT_BEARER) throw new InvalidRequest(`client_assertion_type must be ${JWT_BEARER}`);
    const clientId = p.clientId ?? unverifiedAssertionClient(p.clientAssertion);
    if (clientId === undefined) throw new InvalidClient('client authentication failed', 'assertion is not a JWT with a readable sub');
    return { method: 'private_key_jwt', clientId };
  }
  if (p.clientId === undefined) throw new InvalidClient('client authentication is required');
  return { method: p.clientSecret !== undefined ? 'client_secret_post' : 'none', clientId: p.clientId };
}

async function findClient(ctx: OidcContext, clientId: string): Promise<Client> {
  const client = await ctx.clients.find(clientId);
  if (!client) throw new InvalidClient('client authentication failed', 'unknown client');
  return client;
}

function assertRegisteredMethod(client: Client, method: ClientAuthMethod): void {
  if (client.authMethod !== method) throw new InvalidClient('client authentication failed', `${method} used, ${client.authMethod} registered`);
}

function verifySecret(client: Client, secret: string | undefined): void {
  if (secret === undefined || !client.secretHash || !verifyClientSecret(secret, client.secretHash)) {
    throw new InvalidClient('client authentication failed');
  }
}

/** RFC 7523 §3: iss = sub = client_id, aud = us, not expired, jti used once. */
async function verifyAssertion(ctx: OidcContext, client: Client, assertion: string): Promise<void> {
  if (!client.jwks) throw new InvalidClient('client authentication failed', 'the client has no registered keys');
  const urls = endpoints(ctx.issuer);
  let payload;
  try {
    ({ payload } = await jwtVerify(assertion, createLocalJWKSet(client.jwks), {
      issuer: client.clientId,
      subject: client.clientId,
      // RFC 9126 §2: the PAR endpoint's own URL is an audience too.
      audience: [ctx.issuer, urls.token, urls.introspection, urls.revocation, urls.pushedAuthorization],
      algorithms: [...CLIENT_ASSERTION_ALGS],
      requiredClaims: ['exp', 'jti'],
      maxTokenAge: '5 minutes',
      currentDate: new Date(ctx.now()),
    }));
  } catch (error) {
    if (error instanceof errors.JOSEError) throw new InvalidClient('client authentication failed', assertionRefusal(error));
    throw error;
  }
  const ttlMs = Math.max((payload.exp ?? 0) * 1000 - ctx.now(), 1000);
  const fresh = await ctx.state.putIfAbsent(stateKeys.clientAssertion(client.clientId, String(payload.jti)), '1', ttlMs);
  if (!fresh) throw new InvalidClient('client assertion was already used', 'jti reused');
}

/** Why jose refused an assertion, for the operator's log: names the check, never a value. */
function assertionRefusal(error: InstanceType<typeof errors.JOSEError>): string {
  if (error instanceof errors.JWKSNoMatchingKey) return 'kid not found in the registered keys';
  if (error instanceof errors.JWKSMultipleMatchingKeys) return 'several registered keys match and none verifies';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'signature does not verify';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (error instanceof errors.JWTExpired) return 'exp: expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `${error.claim}: ${error.reason}`;
  return `malformed (${error.code})`;
}

/** RFC 7523 §3: sub (and iss) is the client_id. Unverified: for lookup and bucketing only. */
function unverifiedAssertionClient(assertion: string): string | undefined {
  try {
    const body = JSON.parse(Buffer.from(assertion.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub?: unknown; iss?: unknown };
    const claimed = typeof body.sub === 'string' ? body.sub : body.iss;
    if (typeof claimed === 'string' && claimed.length > 0 && claimed.length <= 256 && !textProblem(claimed)) return claimed;
  } catch {
    // not a JWT: no name to give
  }
  return undefined;
}
