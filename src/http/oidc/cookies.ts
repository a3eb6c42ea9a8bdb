import type { FastifyReply, FastifyRequest } from 'fastify';
import { INTERACTION_COOKIE, SESSION_COOKIE } from '../../oidc/interaction.js';
import type { OidcProvider } from '../../oidc/provider.js';

/**
 * The two cookies of the login: eb_interaction binds the browser to its pending /authorize
 * (value: interaction id), eb_session holds the SSO session id. Both signed (@fastify/cookie),
 * HttpOnly, SameSite=Lax (the ESIA callback is a top-level cross-site GET), Secure on https.
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
  const raw = request.cookies[name];
  if (!raw) return undefined;
  const unsigned = request.unsignCookie(raw);
  return unsigned.valid && unsigned.value ? unsigned.value : undefined;
}

export function setInteractionCookie(reply: FastifyReply, provider: OidcProvider, interactionId: string): void {
  reply.setCookie(INTERACTION_COOKIE, interactionId, options(provider, provider.ctx.config.interactionTtlSeconds));
}

export function clearInteractionCookie(reply: FastifyReply, provider: OidcProvider): void {
  reply.clearCookie(INTERACTION_COOKIE, { ...options(provider, 0), maxAge: undefined });
}

export function setSessionCookie(reply: FastifyReply, provider: OidcProvider, sessionId: string): void {
  reply.setCookie(SESSION_COOKIE, sessionId, options(provider, provider.ctx.config.sessionAbsoluteSeconds));
}

export function clearSessionCookie(reply: FastifyReply, provider: OidcProvider): void {
  reply.clearCookie(SESSION_COOKIE, { ...options(provider, 0), maxAge: undefined });
}
