import type { DiaryProfile } from '../../accounts/directory.js';
import {
  AccountSelectionRequired,
  InteractionRequired,
  InvalidRequest,
  InvalidRequestUri,
  LoginRequired,
  OAuthError,
} from '../../errors/oauth-errors.js';
import type { Client } from '../clients.js';
import { nowSeconds, type OidcContext } from '../context.js';
import type { Interaction, InteractionFailure } from '../interaction.js';
import { issueCodeRedirect, type Interactions } from '../interactions.js';
import { errorIssuer, errorRedirect, failureDescription, unavailableRedirect } from '../redirects.js';
import type { StateEntry } from '../../store/state-store.js';
import { infrastructureFailure, type StoreUnavailable } from '../../store/unavailable.js';
import { toSnapshot, type SsoSession } from '../sessions.js';
import { takePushedRequest } from './pushed.js';
import { rawState, readTarget, validateAuthorizeRequest, type AuthorizeRequest } from './validate.js';

/** What /authorize answers, as a value: the route maps it to a page or a redirect. */
export type AuthorizeOutcome =
  /** Client or redirect_uri not trusted: show a page, never redirect (RFC 6749 §4.1.2.1). */
  | { kind: 'page'; error: OAuthError; cause: 'malformed' | 'unknown_client' | 'unregistered_redirect_uri' | 'invalid_request_uri' }
  /** Back to the client: a code (SSO) or an error. */
  | { kind: 'redirect'; url: string; session?: SsoSession }
  /**
   * A person must log in (or choose): the route sets the interaction cookie and calls the
   * LoginStarter, which stores `entry` (the interaction, not stored yet) with its own state;
   * should that write fail (503), unavailableUrl carries temporarily_unavailable to the client.
   */
  | { kind: 'login'; interaction: Interaction; entry: StateEntry; unavailableUrl: string }
  /** Our storage is down (503): backUrl carries temporarily_unavailable to the trusted redirect_uri. */
  | { kind: 'unavailable'; error: StoreUnavailable; backUrl: string };

/**
 * May a login for this region go on? The region rules live outside the authorization server
 * (policy/); the route supplies them. A failure goes straight back to the client.
 */
export type RegionAdmission = (request: { clientId: string; region: string }) => Promise<InteractionFailure | undefined>;

/**
 * GET|POST /authorize: takePushedRequest (request_uri: the parameters pushed to /par) →
 * readTarget → findClient → assertRegisteredRedirectUri → (from here errors redirect)
 * assertPushedIfRequired → validateAuthorizeRequest → admitRegion → decide (SSO session,
 * prompt, max_age).
 */
export async function authorize(
  ctx: OidcContext,
  interactions: Interactions,
  given: unknown,
  sessionId: string | undefined,
  admitRegion?: RegionAdmission,
): Promise<AuthorizeOutcome> {
  let raw: unknown;
  let target;
  try {
    const pushed = await takePushedRequest(ctx, given);
    raw = pushed ?? given;
    target = readTarget(raw);
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    return { kind: 'page', error, cause: error instanceof InvalidRequestUri ? 'invalid_request_uri' : 'malformed' };
  }
  const pushed = raw !== given;
  const client = await ctx.clients.find(target.clientId);
  if (!client) return { kind: 'page', error: new InvalidRequest('unknown client_id'), cause: 'unknown_client' };
  // Exact string match, no normalisation (RFC 9700 §4.1.3).
  if (!client.redirectUris.includes(target.redirectUri)) {
    return { kind: 'page', error: new InvalidRequest('redirect_uri is not registered for this client'), cause: 'unregistered_redirect_uri' };
  }
  try {
    if (client.requirePushedAuthorizationRequests && !pushed) throw new InvalidRequest('this client must push its authorization request to the pushed_authorization_request_endpoint first (PAR)');
    const request = validateAuthorizeRequest(client, target, raw);
    // Before SSO too: a region switched off since the session began admits nobody.
    const refused = await admitRegion?.({ clientId: client.clientId, region: request.region });
    if (refused) return { kind: 'redirect', url: errorRedirect(errorIssuer(ctx.issuer, client), request.redirectUri, { error: refused.error, description: failureDescription(refused) }, request.state) };
    return await decide(ctx, interactions, request, sessionId);
  } catch (error) {
    const down = infrastructureFailure(error);
    if (down) return { kind: 'unavailable', error: down, backUrl: unavailableRedirect(errorIssuer(ctx.issuer, client), target.redirectUri, rawState(raw)) };
    if (!(error instanceof OAuthError)) throw error;
    return { kind: 'redirect', url: errorRedirect(errorIssuer(ctx.issuer, client), target.redirectUri, { error: error.error, description: error.description }, rawState(raw)) };
  }
}

/**
 * The SSO decision (OIDC Core §3.1.2.3): with a live session and no fresh login required,
 * exactly one profile of the request's region → a code at once; several → the login leg's
 * chooser (prompt=none: account_selection_required); none → the login leg
 * (prompt=none: interaction_required). No session → the login leg (prompt=none: login_required).
 */
async function decide(ctx: OidcContext, interactions: Interactions, request: AuthorizeRequest, sessionId: string | undefined): Promise<AuthorizeOutcome> {
  const session = await ctx.sessions.find(sessionId);
  const forceLogin = request.prompt.has('login') || (request.maxAge !== undefined && (!session || nowSeconds(ctx) - session.authTime > request.maxAge));
  const usable = session && !forceLogin ? session : null;
  const candidates = usable ? await profilesFor(ctx, usable, request.region) : [];

  if (request.prompt.has('none')) {
    if (!usable) throw new LoginRequired(forceLogin && session ? 'a fresh login is required (max_age)' : 'the person is not logged in at the broker');
    if (candidates.length === 0) throw new InteractionRequired('no diary profile of this region is linked to the session yet');
    if (candidates.length > 1) throw new AccountSelectionRequired('the person has several diary profiles in this region');
  }
  if (usable && candidates.length === 1 && !request.prompt.has('select_account')) {
    const profile = candidates[0] as DiaryProfile;
    await ctx.sessions.touch(usable);
    const url = await issueCodeRedirect(ctx, toInteractionFields(request), { ...toSnapshot(usable), profileId: profile.id }, usable.sid);
    return { kind: 'redirect', url, session: usable };
  }
  const { interaction, entry } = interactions.prepare({
    ...toInteractionFields(request),
    region: request.region,
    forceLogin,
    sso: usable ? { ...toSnapshot(usable), profileIds: orderedProfileIds(usable, candidates) } : undefined,
  });
  const unavailableUrl = unavailableRedirect(errorIssuer(ctx.issuer, request.client), request.redirectUri, request.state);
  return { kind: 'login', interaction, entry, unavailableUrl };
}

function toInteractionFields(request: AuthorizeRequest) {
  return {
    clientId: (request.client as Client).clientId,
    redirectUri: request.redirectUri,
    state: request.state,
    nonce: request.nonce,
    scope: request.scope,
    codeChallenge: request.codeChallenge,
    resource: request.resource,
    acrMinimum: request.acrMinimum,
  };
}

/**
 * The session's profiles a login for this region may use without ESIA: still linked, same
 * region, still activated and attached to a school. Same region means the region policy that
 * admitted the person at their ESIA login is the one that applies now.
 */
async function profilesFor(ctx: OidcContext, session: SsoSession, region: string): Promise<DiaryProfile[]> {
  const linked = ctx.linkedProfileIds ? new Set(await ctx.linkedProfileIds(session.esiaOid)) : undefined;
  const ids = linked ? session.profileIds.filter((id) => linked.has(id)) : session.profileIds;
  const profiles = await Promise.all(ids.map((id) => ctx.directory.findById(id)));
  return profiles.filter((p): p is DiaryProfile => p !== null && p.region === region && p.activated && p.schoolIds.length > 0);
}

function orderedProfileIds(session: SsoSession, candidates: DiaryProfile[]): string[] {
  const first = candidates.map((p) => p.id);
  return [...first, ...session.profileIds.filter((id) => !first.includes(id))];
}
