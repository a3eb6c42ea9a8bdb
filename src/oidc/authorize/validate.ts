import { z } from 'zod';
import {
  InvalidRequest,
  InvalidScope,
  InvalidTarget,
  UnsupportedResponseType,
  type OAuthError,
} from '../../errors/oauth-errors.js';
import { readable } from '../../validation/readable-text.js';
import type { EsiaLevel } from '../../esia/person.js';
import { acrMinimum } from '../claims.js';
import { SUPPORTED_SCOPES, isPublicClient, type Client } from '../clients.js';

/** A validated authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1). */
export interface AuthorizeRequest {
  client: Client;
  redirectUri: string;
  state: string | undefined;
  nonce: string | undefined;
  scope: string[];
  codeChallenge: string | undefined;
  resource: string[];
  region: string;
  prompt: Set<string>;
  maxAge: number | undefined;
  /** From acr_values: the lowest ESIA level the client accepts for this login. */
  acrMinimum: EsiaLevel | undefined;
}

const once = (max: number) => readable(z.string({ error: 'must be given once' }).max(max, `must be at most ${max} characters`)).optional();
const oneResource = readable(z.string().max(2000));

/** Parameters we read; unknown ones are dropped (OIDC Core §3.1.2.1: ignore what you do not understand). */
const paramsSchema = z.object({
  response_type: once(64),
  response_mode: once(32),
  scope: once(1024),
  state: once(2048),
  nonce: once(512),
  code_challenge: once(128),
  code_challenge_method: once(16),
  prompt: once(64),
  max_age: once(10),
  acr_values: once(256),
  region: once(8),
  resource: z.union([oneResource, z.array(oneResource).max(10, 'at most 10 resources')]).optional(),
});

const targetSchema = z.object({ client_id: once(128), redirect_uri: once(2000) });

/** Every parameter an authorization request carries for us: what a pushed request keeps. */
export const AUTHORIZE_PARAMS: readonly string[] = [...Object.keys(targetSchema.shape), ...Object.keys(paramsSchema.shape)];

export type AuthorizeTarget = { clientId: string; redirectUri: string };

/** client_id and redirect_uri come first: until both are trusted, errors must not redirect. */
export function readTarget(raw: unknown): AuthorizeTarget {
  const parsed = targetSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidRequest(`${issue?.path.join('.') ?? 'request'}: ${issue?.message ?? 'malformed'}`);
  }
  const { client_id: clientId, redirect_uri: redirectUri } = parsed.data;
  if (!clientId) throw new InvalidRequest('client_id is required');
  if (!redirectUri) throw new InvalidRequest('redirect_uri is required');
  return { clientId, redirectUri };
}

/** The state to echo in an error redirect, when the raw request carries a usable one. */
export function rawState(raw: unknown): string | undefined {
  const state = (raw as Record<string, unknown> | undefined)?.['state'];
  return typeof state === 'string' && state.length <= 2048 ? state : undefined;
}

/**
 * The rest of the request, for a known client and a registered redirect_uri:
 * parseParams → assertResponseType → parseScope → assertPkce → assertResources →
 * resolveRegion → parsePrompt → parseMaxAge. Each throws the OAuth error to redirect with.
 */
export function validateAuthorizeRequest(client: Client, target: AuthorizeTarget, raw: unknown): AuthorizeRequest {
  const params = parseParams(raw);
  assertResponseType(params.response_type, params.response_mode);
  const scope = parseScope(client, params.scope);
  const codeChallenge = assertPkce(client, params.code_challenge, params.code_challenge_method);
  const resource = assertResources(client, params.resource);
  const region = resolveRegion(client, params.region);
  const prompt = parsePrompt(params.prompt);
  const maxAge = parseMaxAge(params.max_age);
  return { client, redirectUri: target.redirectUri, state: params.state, nonce: params.nonce, scope, codeChallenge, resource, region, prompt, maxAge, acrMinimum: acrMinimum(params.acr_values) };
}

function parseParams(raw: unknown): z.infer<typeof paramsSchema> {
  const parsed = paramsSchema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new InvalidRequest(`${issue?.path.join('.') ?? 'request'}: ${issue?.message ?? 'malformed'}`);
}

function assertResponseType(responseType: string | undefined, responseMode: string | undefined): void {
  if (!responseType) throw new InvalidRequest('response_type is required');
  if (responseType !== 'code') throw new UnsupportedResponseType('only response_type=code is supported');
  if (responseMode !== undefined && responseMode !== 'query') throw new InvalidRequest('only response_mode=query is supported');
}

/** Unknown scope values are ignored; known ones the client may not have are refused. */
function parseScope(client: Client, scope: string | undefined): string[] {
  const asked = [...new Set((scope ?? '').split(' ').filter(Boolean))];
  if (!asked.includes('openid')) throw new InvalidScope('scope must include openid');
  const known = asked.filter((s) => (SUPPORTED_SCOPES as readonly string[]).includes(s));
  const refused = known.filter((s) => !(client.allowedScopes as string[]).includes(s));
  if (refused.length > 0) throw new InvalidScope(`scope not allowed for this client: ${refused.join(' ')}`);
  return known;
}

/** RFC 7636 with S256 only; required for public clients, accepted for confidential ones (RFC 9700 §2.1.1). */
function assertPkce(client: Client, challenge: string | undefined, method: string | undefined): string | undefined {
  if (challenge === undefined) {
    if (method !== undefined) throw new InvalidRequest('code_challenge_method without code_challenge');
    if (isPublicClient(client)) throw new InvalidRequest('PKCE is required: send code_challenge with code_challenge_method=S256');
    return undefined;
  }
  // RFC 7636 §4.3: a missing method means plain, which we do not accept.
  if (method !== 'S256') throw new InvalidRequest('code_challenge_method must be S256');
  if (!/^[A-Za-z0-9_-]{43}$/.test(challenge)) throw new InvalidRequest('code_challenge must be a base64url SHA-256 (43 characters)');
  return challenge;
}

function assertResources(client: Client, resource: string | string[] | undefined): string[] {
  const asked = resource === undefined ? [] : [...new Set(Array.isArray(resource) ? resource : [resource])];
  const unknown = asked.filter((r) => !client.allowedResources.includes(r));
  if (unknown.length > 0) throw new InvalidTarget('resource is not registered for this client');
  return asked;
}

function resolveRegion(client: Client, region: string | undefined): string {
  if (region !== undefined) {
    if (!/^\d{2}$/.test(region)) throw new InvalidRequest('region must be a two-digit region code');
    if (client.regions.length > 0 && !client.regions.includes(region)) throw new InvalidRequest('this client does not serve that region');
    return region;
  }
  if (client.regions.length === 1) return client.regions[0] as string;
  throw new InvalidRequest('region is required: this client serves several regions');
}

const PROMPTS = ['none', 'login', 'consent', 'select_account'];

function parsePrompt(prompt: string | undefined): Set<string> {
  const values = new Set((prompt ?? '').split(' ').filter(Boolean));
  for (const value of values) if (!PROMPTS.includes(value)) throw new InvalidRequest(`unsupported prompt value: ${value}`);
  if (values.has('none') && values.size > 1) throw new InvalidRequest('prompt=none cannot be combined with other values');
  return values;
}

function parseMaxAge(maxAge: string | undefined): number | undefined {
  if (maxAge === undefined) return undefined;
  if (!/^\d{1,9}$/.test(maxAge)) throw new InvalidRequest('max_age must be a non-negative number of seconds');
  return Number(maxAge);
}

export type { OAuthError };
