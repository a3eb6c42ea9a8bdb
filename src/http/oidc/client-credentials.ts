import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { InvalidClient, InvalidRequest } from '../../errors/oauth-errors.js';
import type { PresentedCredentials } from '../../oidc/token/client-auth.js';
import { textProblem, readable } from '../../validation/readable-text.js';

/** Form fields of the client-authenticated endpoints; every value once, bounded. */
const once = (max: number) => readable(z.string({ error: 'must be given once' }).max(max, `must be at most ${max} characters`)).optional();
const oneResource = readable(z.string().max(2000));

export const tokenFormSchema = z.object({
  grant_type: once(64),
  code: once(256),
  redirect_uri: once(2000),
  code_verifier: once(256),
  refresh_token: once(256),
  scope: once(1024),
  resource: z.union([oneResource, z.array(oneResource).max(10, 'at most 10 resources')]).optional(),
  token: once(8192),
  token_type_hint: once(64),
  client_id: once(128),
  client_secret: once(512),
  client_assertion_type: once(128),
  client_assertion: once(8192),
});
export type TokenForm = z.infer<typeof tokenFormSchema>;

/** RFC 6749 §3.2: token endpoint bodies are application/x-www-form-urlencoded. */
export function parseForm(request: FastifyRequest): TokenForm {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') throw new InvalidRequest('the body must be application/x-www-form-urlencoded');
  const parsed = tokenFormSchema.safeParse(request.body ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new InvalidRequest(`${issue?.path.join('.') ?? 'body'}: ${issue?.message ?? 'malformed'}`);
}

export function resources(form: TokenForm): string[] {
  return form.resource === undefined ? [] : Array.isArray(form.resource) ? form.resource : [form.resource];
}

/** Credentials from `Authorization: Basic` (RFC 6749 §2.3.1: form-encoded, then base64) and the body. */
export function presentedCredentials(request: FastifyRequest, form: TokenForm): PresentedCredentials {
  return {
    basic: basicCredentials(request.headers.authorization),
    clientId: form.client_id,
    clientSecret: form.client_secret,
    clientAssertionType: form.client_assertion_type,
    clientAssertion: form.client_assertion,
  };
}

function basicCredentials(header: string | undefined): PresentedCredentials['basic'] {
  if (!header || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1 || decoded.length > 1024) throw new InvalidClient('malformed Basic credentials');
  let credentials: { clientId: string; secret: string };
  try {
    credentials = { clientId: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    throw new InvalidClient('malformed Basic credentials');
  }
  if (textProblem(credentials.clientId) || textProblem(credentials.secret)) throw new InvalidClient('malformed Basic credentials');
  return credentials;
}

function formDecode(value: string): string {
  // Most ids and secrets are plain (base64url, uuid): nothing to decode.
  if (!value.includes('%') && !value.includes('+')) return value;
  return decodeURIComponent(value.replace(/\+/g, ' '));
}
