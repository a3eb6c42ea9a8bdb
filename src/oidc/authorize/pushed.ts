import { randomToken, sha256Base64url } from '../../crypto/random.js';
import { InvalidRequest, InvalidRequestUri } from '../../errors/oauth-errors.js';
import { jsonState } from '../../store/state-store.js';
import type { Client } from '../clients.js';
import type { OidcContext } from '../context.js';
import { stateKeys } from '../state-keys.js';
import { AUTHORIZE_PARAMS, readTarget, validateAuthorizeRequest } from './validate.js';

/**
 * Pushed authorization requests (RFC 9126). The client POSTs its authorization parameters to
 * /par (authenticated as at /token) and gets a request_uri for the browser to carry instead:
 * valid PUSHED_REQUEST_TTL_SECONDS, once, for that client only. /authorize then reads the
 * parameters from here, never from the browser.
 */
export const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:';
/** RFC 9126 §2.2 suggests 5 to 600 s; the browser goes to /authorize right away. */
export const PUSHED_REQUEST_TTL_SECONDS = 60;

type Params = Record<string, string | string[]>;
interface PushedRequest {
  clientId: string;
  params: Params;
}

export interface PushedResponse {
  request_uri: string;
  expires_in: number;
}

/**
 * POST /par for an authenticated client: refuseNested → readTarget → assertRegisteredRedirectUri
 * → validateAuthorizeRequest (the same checks /authorize makes) → store. Every failure is a
 * JSON error to the client; nothing is stored for a request /authorize would refuse.
 */
export async function pushAuthorizationRequest(ctx: OidcContext, client: Client, body: unknown): Promise<PushedResponse> {
  const raw = { ...(body as Record<string, unknown> | undefined) };
  // RFC 9126 §2.1: a pushed request must not itself point at another one.
  if (raw['request_uri'] !== undefined) throw new InvalidRequest('request_uri must not be sent to the pushed authorization request endpoint');
  if (raw['request'] !== undefined) throw new InvalidRequest('request objects (request) are not supported');
  // The authenticated client is the request's client (client-auth already refused a different client_id).
  raw['client_id'] ??= client.clientId;
  const target = readTarget(raw);
  if (!client.redirectUris.includes(target.redirectUri)) throw new InvalidRequest('redirect_uri is not registered for this client');
  validateAuthorizeRequest(client, target, raw);

  const id = randomToken(32);
  const pushed: PushedRequest = { clientId: client.clientId, params: pick(raw) };
  await jsonState(ctx.state).put(stateKeys.pushedRequest(sha256Base64url(id)), pushed, PUSHED_REQUEST_TTL_SECONDS * 1000);
  return { request_uri: `${REQUEST_URI_PREFIX}${id}`, expires_in: PUSHED_REQUEST_TTL_SECONDS };
}

/**
 * /authorize with request_uri: the pushed parameters, taken (single use) when request_uri is
 * one of ours, unexpired, unused and pushed by the client the request names. Parameters
 * besides client_id and request_uri may repeat pushed ones (OIDC clients repeat response_type
 * and scope) but not differ from them or add to them. Undefined: not a pushed request.
 */
export async function takePushedRequest(ctx: OidcContext, raw: unknown): Promise<Params | undefined> {
  const given = (raw ?? {}) as Record<string, unknown>;
  const requestUri = given['request_uri'];
  if (requestUri === undefined) return undefined;
  const clientId = given['client_id'];
  if (typeof requestUri !== 'string' || requestUri.length > 256) throw new InvalidRequest('request_uri: must be given once');
  if (typeof clientId !== 'string') throw new InvalidRequest('client_id is required with request_uri');
  if (!requestUri.startsWith(REQUEST_URI_PREFIX)) throw new InvalidRequestUri('only request_uri values from our pushed authorization request endpoint are accepted');
  const key = stateKeys.pushedRequest(sha256Base64url(requestUri.slice(REQUEST_URI_PREFIX.length)));
  const state = jsonState(ctx.state);
  const pushed = await state.get<PushedRequest>(key);
  if (!pushed) throw new InvalidRequestUri('the request_uri is unknown, expired or already used');
  // Another client's request_uri is left alone: its own client may still use it.
  if (pushed.clientId !== clientId) throw new InvalidRequestUri('the request_uri was pushed by another client');
  assertNothingAdded(given, pushed.params);
  // Atomic: of two concurrent uses exactly one gets the request.
  const taken = await state.take<PushedRequest>(key);
  if (!taken) throw new InvalidRequestUri('the request_uri is unknown, expired or already used');
  return taken.params;
}

function assertNothingAdded(given: Record<string, unknown>, pushed: Params): void {
  for (const name of AUTHORIZE_PARAMS) {
    if (name === 'client_id' || given[name] === undefined) continue;
    if (JSON.stringify(given[name]) !== JSON.stringify(pushed[name])) {
      throw new InvalidRequest(`${name}: with request_uri, authorization parameters come only from the pushed request`);
    }
  }
}

function pick(raw: Record<string, unknown>): Params {
  const params: Params = {};
  for (const name of AUTHORIZE_PARAMS) {
    const value = raw[name];
    if (typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'))) params[name] = value as string | string[];
  }
  return params;
}
