import { safeEqual } from '../../crypto/random.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SESSION_COOKIE, type AuthenticatedProfile, type InteractionFailure } from '../../oidc/interaction.js';
import { InteractionNotFound } from '../../oidc/interactions.js';
import type { OidcProvider } from '../../oidc/provider.js';
import type { SessionInput, SsoSession } from '../../oidc/sessions.js';
import { LAST_CLIENT_COOKIE, MAX_PENDING_INTERACTIONS, readInteractionCookie, readSignedCookie, readSupersededCookie, setInteractionCookie, setLastClientCookie, setSessionCookie, setSupersededCookie } from './cookies.js';
import { stateKeys } from '../../oidc/state-keys.js';
import { alreadyLoggedInPage, interactionExpiredPage as expiredPage } from '../pages/oidc-pages.js';

/**
 * HTTP-level helpers the login legs call from their routes (see docs/architecture.md).
 * They find the authorization server on the Fastify instance (installOidcHttp), check that
 * the browser holds the interaction it finishes (eb_interaction), and answer with a redirect.
 */
declare module 'fastify' {
  interface FastifyInstance {
    oidcProvider: OidcProvider;
  }
}

export function installOidcHttp(app: FastifyInstance, provider: OidcProvider): void {
  app.decorate('oidcProvider', provider);
}

/**
 * The interactions this browser started and may finish (signed eb_interaction cookie, oldest
 * first): one per tab, so two logins in one browser do not push each other out.
 */
export function readInteractionIds(request: FastifyRequest): string[] {
  return readInteractionCookie(request);
}

/** The binding: the browser's cookie lists this interaction (constant-time per entry). */
export function holdsInteraction(request: FastifyRequest, interactionId: string): boolean {
  return readInteractionIds(request).some((id) => safeEqual(id, interactionId));
}

/**
 * /authorize started a login in this browser: add it to the browser's list. A list already
 * full gives up its oldest login here, for good: its interaction is failed with
 * login_superseded (nothing can finish it any more) and the redirect telling its diary so is
 * kept for the rest of its lifetime, so the tab that comes back to it goes home with a clear
 * answer (supersededRedirect) instead of the "expired" page.
 */
export async function bindInteraction(request: FastifyRequest, reply: FastifyReply, interactionId: string): Promise<void> {
  const provider = request.server.oidcProvider;
  const all = [...readInteractionIds(request), interactionId];
  const evicted = all.slice(0, Math.max(0, all.length - MAX_PENDING_INTERACTIONS));
  setInteractionCookie(reply, provider, all);
  if (evicted.length === 0) return;
  const ttlMs = provider.ctx.config.interactionTtlSeconds * 1000;
  for (const id of evicted) {
    const redirectUrl = await provider.interactions.fail(id, SUPERSEDED).catch((error: unknown) => {
      if (error instanceof InteractionNotFound) return undefined; // finished or expired meanwhile: nothing to tell
      throw error;
    });
    if (redirectUrl) await provider.ctx.state.put(stateKeys.supersededInteraction(id), redirectUrl, ttlMs);
  }
  setSupersededCookie(reply, provider, [...readSupersededCookie(request), ...evicted]);
}

const SUPERSEDED: InteractionFailure = {
  error: 'access_denied',
  reason: 'login_superseded',
  description: 'a newer login started in this browser replaced this one; finish that one or start again',
};

/** The interactions this browser gave up for newer ones (eb_superseded). */
export function readSupersededIds(request: FastifyRequest): string[] {
  return readSupersededCookie(request);
}

/**
 * The way home for a login this browser gave up for newer ones: its diary's redirect with
 * access_denied (login_superseded), state and iss. Undefined for any other login, or another
 * browser's: those keep the pages they had.
 */
export async function supersededRedirect(request: FastifyRequest, interactionId: string): Promise<string | undefined> {
  if (!readSupersededIds(request).some((id) => safeEqual(id, interactionId))) return undefined;
  return (await request.server.oidcProvider.ctx.state.get(stateKeys.supersededInteraction(interactionId))) ?? undefined;
}

/** Sends the tab of a given-up login back to its diary. */
export function sendSuperseded(request: FastifyRequest, reply: FastifyReply, redirectUrl: string): FastifyReply {
  request.log.info('login given up for newer ones in this browser: back to the diary with login_superseded');
  return reply.header('cache-control', 'no-store').redirect(redirectUrl, 302);
}

/** The interaction finished: the other tabs' logins stay listed. */
function unbindInteraction(request: FastifyRequest, reply: FastifyReply, interactionId: string): void {
  setInteractionCookie(reply, request.server.oidcProvider, readInteractionIds(request).filter((id) => id !== interactionId));
}

/** Sessions established during this request, so a completion in the same request extends them. */
const establishedNow = new WeakMap<FastifyRequest, string>();

/** The browser's broker session id (signed eb_session cookie, or one set by this request), if any. */
export function readSessionId(request: FastifyRequest): string | undefined {
  return establishedNow.get(request) ?? readSignedCookie(request, SESSION_COOKIE);
}

/**
 * The person is known: issue the code, create or extend the SSO session (cookie eb_session),
 * drop the interaction from eb_interaction and send the browser back to the client with code, state and iss.
 * Unknown, expired, finished or foreign interaction: a Russian page (400), nothing issued.
 */
export async function completeInteraction(request: FastifyRequest, reply: FastifyReply, interactionId: string, profile: AuthenticatedProfile): Promise<FastifyReply> {
  const provider = request.server.oidcProvider;
  if (!holdsInteraction(request, interactionId)) return staleLoginPage(request, reply);
  try {
    // The client comes with the interaction the completion takes: no read of it beforehand.
    const { redirectUrl, session, clientId } = await provider.interactions.completeInBrowser(interactionId, profile, readSessionId(request));
    establishedNow.set(request, session.id);
    setSessionCookie(reply, provider, session.id);
    setLastClientCookie(reply, provider, clientId);
    unbindInteraction(request, reply, interactionId);
    return reply.header('cache-control', 'no-store').redirect(redirectUrl, 302);
  } catch (error) {
    if (error instanceof InteractionNotFound) return staleLoginPage(request, reply);
    throw error;
  }
}

/** The login failed: send the browser back to the client with the OAuth error, state and iss. */
export async function failInteraction(request: FastifyRequest, reply: FastifyReply, interactionId: string, failure: InteractionFailure): Promise<FastifyReply> {
  const provider = request.server.oidcProvider;
  if (!holdsInteraction(request, interactionId)) return expired(reply);
  try {
    const redirectUrl = await provider.interactions.fail(interactionId, failure);
    unbindInteraction(request, reply, interactionId);
    return reply.header('cache-control', 'no-store').redirect(redirectUrl, 302);
  } catch (error) {
    if (error instanceof InteractionNotFound) return expired(reply);
    throw error;
  }
}

/**
 * Right after ESIA vouched for the person (before the interaction completes, e.g. while a
 * chooser page waits): create or extend the SSO session with every profile they may enter.
 */
export async function establishSession(request: FastifyRequest, reply: FastifyReply, input: SessionInput): Promise<SsoSession> {
  const provider = request.server.oidcProvider;
  const session = await provider.ctx.sessions.establish(readSessionId(request), input);
  establishedNow.set(request, session.id);
  setSessionCookie(reply, provider, session.id);
  return session;
}

function expired(reply: FastifyReply): FastifyReply {
  return reply.code(400).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(expiredPage());
}

/**
 * Where a browser that is logged in came from: the diary of its last login through us, when
 * its broker session is still live. Its start page: its registered client_uri, else the first
 * post-logout URI (a page of the diary that needs no login request), else its redirect URI's origin.
 */
export async function finishedLoginHome(request: FastifyRequest): Promise<string | undefined> {
  const provider = request.server.oidcProvider;
  const clientId = readSignedCookie(request, LAST_CLIENT_COOKIE);
  if (!clientId) return undefined;
  const session = await provider.ctx.sessions.find(readSessionId(request));
  if (!session) return undefined;
  const client = await provider.ctx.clients.find(clientId);
  if (!client) return undefined;
  if (client.clientUri) return client.clientUri;
  const first = client.postLogoutRedirectUris[0] ?? client.redirectUris[0];
  return first === undefined ? undefined : client.postLogoutRedirectUris[0] ?? `${new URL(first).origin}/`;
}

/**
 * A stale login page (Back after the login finished, a step already taken): a person who is
 * logged in is offered the way back to their diary; anyone else gets the "expired" page (400).
 */
export async function staleLoginPage(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const home = await finishedLoginHome(request).catch(() => undefined);
  return home ? sendAlreadyLoggedIn(reply, home) : expired(reply);
}

export function sendAlreadyLoggedIn(reply: FastifyReply, homeUrl: string): FastifyReply {
  return reply.code(200).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(alreadyLoggedInPage(homeUrl));
}
