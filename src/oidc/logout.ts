import { compactVerify, createLocalJWKSet } from 'jose';
import { z } from 'zod';
import { safeEqual, sha256Base64url } from '../crypto/random.js';
import { InvalidRequest } from '../errors/oauth-errors.js';
import type { Client } from './clients.js';
import type { OidcContext } from './context.js';
import type { SsoSession } from './sessions.js';

export interface LogoutRequest {
  idTokenHint: string | undefined;
  postLogoutRedirectUri: string | undefined;
  state: string | undefined;
  clientId: string | undefined;
  /** Present on the confirmation form's POST. */
  xsrf: string | undefined;
}

export type LogoutOutcome =
  | { kind: 'confirm'; xsrf: string; clientId: string | undefined }
  | { kind: 'done'; ended: SsoSession | null; backUrl: string | undefined };

type HintClaims = z.infer<typeof hintClaims>;
const hintClaims = z.object({ iss: z.string(), aud: z.union([z.string(), z.array(z.string())]), sub: z.string(), sid: z.string().optional() });

/**
 * RP-initiated logout (OpenID RP-Initiated Logout 1.0 §2-3): verifyHint → resolveClient →
 * assertPostLogoutRedirectUri → confirmed (an id_token_hint of this very session, or our
 * confirmation form) → endSession (and the session's online refresh families) → the way back.
 */
export async function logout(ctx: OidcContext, request: LogoutRequest, sessionId: string | undefined): Promise<LogoutOutcome> {
  const hint = await verifyHint(ctx, request.idTokenHint);
  const client = await resolveClient(ctx, request, hint);
  const backUrl = postLogoutRedirect(client, request);
  const session = await ctx.sessions.find(sessionId);
  const xsrf = session ? logoutXsrf(session.id) : '';
  const confirmed = !session || hintIsOfSession(hint, session) || (request.xsrf !== undefined && safeEqual(request.xsrf, xsrf));
  if (!confirmed) return { kind: 'confirm', xsrf, clientId: client?.clientId };
  const ended = await ctx.sessions.end(sessionId);
  if (ended) await ctx.families.revokeSessionFamilies(ended.sid, 'logout');
  return { kind: 'done', ended, backUrl };
}

/**
 * Any valid id_token of ours is not enough to skip the confirmation: a foreign page could embed
 * /logout with the attacker's own id_token and end the victim's session (§2, §4: the OP asks
 * unless the logout was requested by the RP for this session). The hint must name this session:
 * its `sid`, or, in a token without one, its `sub` among the session's profiles.
 */
function hintIsOfSession(hint: HintClaims | null, session: SsoSession): boolean {
  if (!hint) return false;
  if (hint.sid !== undefined) return hint.sid === session.sid;
  return session.profileIds.includes(hint.sub);
}

/** Our id_token, signature and issuer checked; expiry is not (a hint may be old). Bad hint: refused. */
async function verifyHint(ctx: OidcContext, hint: string | undefined): Promise<HintClaims | null> {
  if (hint === undefined) return null;
  try {
    const { payload, protectedHeader } = await compactVerify(hint, createLocalJWKSet(await ctx.keys.publishedJwks()), { algorithms: ['ES256', 'RS256'] });
    // Our access tokens share the keys and the issuer; RFC 9068 §4: at+jwt is never an id_token.
    if (protectedHeader.typ?.toLowerCase() === 'at+jwt' || protectedHeader.typ?.toLowerCase() === 'application/at+jwt') throw new Error('an access token');
    const claims = hintClaims.parse(JSON.parse(new TextDecoder().decode(payload)));
    if (claims.iss !== ctx.issuer) throw new Error('foreign issuer');
    return claims;
  } catch {
    throw new InvalidRequest('id_token_hint is not a valid id_token of this issuer');
  }
}

async function resolveClient(ctx: OidcContext, request: LogoutRequest, hint: HintClaims | null): Promise<Client | null> {
  const hinted = hint ? (Array.isArray(hint.aud) ? hint.aud[0] : hint.aud) : undefined;
  if (hinted && request.clientId && hinted !== request.clientId) throw new InvalidRequest('client_id does not match the id_token_hint');
  const clientId = hinted ?? request.clientId;
  if (!clientId) return null;
  const client = await ctx.clients.find(clientId);
  if (!client) throw new InvalidRequest('unknown client_id');
  return client;
}

/** Only a URI registered for the client (exact match); never an open redirect. */
function postLogoutRedirect(client: Client | null, request: LogoutRequest): string | undefined {
  if (request.postLogoutRedirectUri === undefined) return undefined;
  if (!client) throw new InvalidRequest('post_logout_redirect_uri needs id_token_hint or client_id');
  if (!client.postLogoutRedirectUris.includes(request.postLogoutRedirectUri)) throw new InvalidRequest('post_logout_redirect_uri is not registered for this client');
  const url = new URL(request.postLogoutRedirectUri);
  if (request.state !== undefined) url.searchParams.set('state', request.state);
  return url.toString();
}

/** Ties the confirmation form to the browser's session: a foreign page cannot forge it. */
function logoutXsrf(sessionId: string): string {
  return sha256Base64url(`logout:${sessionId}`);
}
