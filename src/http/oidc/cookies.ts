import type { FastifyReply, FastifyRequest } from 'fastify';
import { INTERACTION_COOKIE, SESSION_COOKIE } from '../../oidc/interaction.js';
import type { OidcProvider } from '../../oidc/provider.js';

/**
 * The two cookies of the login: eb_interaction binds the browser to its pending /authorize
 * requests (value: their interaction ids, newest last), eb_session holds the SSO session id.
 * Both signed (@fastify/cookie), HttpOnly, SameSite=Lax (the ESIA callback is a top-level
 * cross-site GET), Secure on https.
 */
function options(provider: OidcProvider, maxAgeSeconds: number) {
  return {
    signed: true,
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: provider.ctx.issuer.startsWith('https:'),
    path: '/',
    maxAge: maxAgeSeconds,
  };
}

export function readSignedCookie(request: FastifyRequest, name: string): string | undefined {
  const raw = requestCookies(request)[name];
  if (!raw) return undefined;
  const unsigned = request.unsignCookie(raw);
  return unsigned.valid && unsigned.value ? unsigned.value : undefined;
}

/**
 * The request's cookies, parsed on the first read: @fastify/cookie runs no hook (app.ts), so
 * the many requests that read none (the token side, discovery, JWKS) do not parse them. Every
 * cookie the broker reads goes through readSignedCookie, hence through here.
 */
function requestCookies(request: FastifyRequest): Record<string, string | undefined> {
  const parsed = request.cookies as FastifyRequest['cookies'] | null;
  if (parsed) return parsed;
  const header = request.headers.cookie;
  request.cookies = header ? request.server.parseCookie(header) : {};
  return request.cookies;
}

/**
 * Logins one browser may have pending at once: two tabs (or a diary opened twice) each keep
 * their own; beyond this the oldest is given up, and its tab is sent back to its diary with
 * access_denied (login_superseded) instead of the "expired" page (eb_superseded, below).
 */
export const MAX_PENDING_INTERACTIONS = 5;
const SEPARATOR = '~';
const INTERACTION_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** The interaction ids the browser's signed eb_interaction lists, oldest first. */
export function readInteractionCookie(request: FastifyRequest): string[] {
  return readIdList(request, INTERACTION_COOKIE);
}

/** A signed cookie holding interaction ids, oldest first: the well-formed ones, the newest few. */
function readIdList(request: FastifyRequest, name: string): string[] {
  const value = readSignedCookie(request, name);
  if (!value) return [];
  return value.split(SEPARATOR).filter((id) => INTERACTION_ID.test(id)).slice(-MAX_PENDING_INTERACTIONS);
}

/** Ids to write back: each once, the newest MAX_PENDING_INTERACTIONS. */
function newestIds(interactionIds: readonly string[]): string[] {
  return [...new Set(interactionIds)].slice(-MAX_PENDING_INTERACTIONS);
}

/** Writes the list (the newest MAX_PENDING_INTERACTIONS), or clears the cookie when it is empty. */
export function setInteractionCookie(reply: FastifyReply, provider: OidcProvider, interactionIds: readonly string[]): void {
  const kept = newestIds(interactionIds);
  if (kept.length === 0) return clearInteractionCookie(reply, provider);
  reply.setCookie(INTERACTION_COOKIE, kept.join(SEPARATOR), options(provider, provider.ctx.config.interactionTtlSeconds));
}

/**
 * eb_superseded: the interactions this browser gave up for newer ones (the ids only, newest
 * last, as many as it may keep pending), so a tab coming back to one of them is told so.
 */
export const SUPERSEDED_COOKIE = 'eb_superseded';

export function readSupersededCookie(request: FastifyRequest): string[] {
  return readIdList(request, SUPERSEDED_COOKIE);
}

export function setSupersededCookie(reply: FastifyReply, provider: OidcProvider, interactionIds: readonly string[]): void {
  reply.setCookie(SUPERSEDED_COOKIE, newestIds(interactionIds).join(SEPARATOR), options(provider, provider.ctx.config.interactionTtlSeconds));
}

export function clearInteractionCookie(reply: FastifyReply, provider: OidcProvider): void {
  reply.clearCookie(INTERACTION_COOKIE, { ...options(provider, 0), maxAge: undefined });
}

export function setSessionCookie(reply: FastifyReply, provider: OidcProvider, sessionId: string): void {
  reply.setCookie(SESSION_COOKIE, sessionId, options(provider, provider.ctx.config.sessionAbsoluteSeconds));
}

/**
 * eb_last_client: the client the browser's last login through us went to (a client id, no
 * personal data). A browser that comes Back to a finished login's page is sent there.
 */
export const LAST_CLIENT_COOKIE = 'eb_last_client';

export function setLastClientCookie(reply: FastifyReply, provider: OidcProvider, clientId: string): void {
  reply.setCookie(LAST_CLIENT_COOKIE, clientId, options(provider, provider.ctx.config.sessionAbsoluteSeconds));
}

export function clearSessionCookie(reply: FastifyReply, provider: OidcProvider): void {
  reply.clearCookie(SESSION_COOKIE, { ...options(provider, 0), maxAge: undefined });
}
