import { randomToken } from '../crypto/random.js';
import { acrForLevel } from '../esia/person.js';
import { meetsAcr } from './claims.js';
import { jsonState, type StateEntry } from '../store/state-store.js';
import type { OidcContext } from './context.js';
import type { AuthenticatedProfile, Interaction, InteractionFailure, InteractionService } from './interaction.js';
import { codeRedirect, errorIssuer, errorRedirect, failureDescription } from './redirects.js';
import type { SsoSession } from './sessions.js';
import { stateKeys } from './state-keys.js';

/** The interaction is unknown, already finished or expired: nothing can be sent back to the client. */
export class InteractionNotFound extends Error {
  constructor() {
    super('the login request is unknown or has expired');
    this.name = 'InteractionNotFound';
  }
}

/** The interaction service plus what our own HTTP layer needs (sessions and cookies live there). */
export interface Interactions extends InteractionService {
  /**
   * A new interaction and its state-store entry, not yet stored: the login leg stores the entry
   * with its own state (LoginStarter.start), so /authorize writes once.
   */
  prepare(fields: Omit<Interaction, 'id' | 'createdAt'>): { interaction: Interaction; entry: StateEntry };
  /**
   * fail() for an interaction whose login could not start: it is removed if the login leg had
   * stored it, and the redirect comes from the interaction given, stored or not.
   */
  failUnstarted(interaction: Interaction, failure: InteractionFailure): Promise<string>;
  /** complete(), merging into the browser's current session; returns the session for the cookie and the interaction's client. */
  completeInBrowser(interactionId: string, profile: AuthenticatedProfile, currentSessionId: string | undefined): Promise<{ redirectUrl: string; session: SsoSession; clientId: string }>;
}

/** Issues a code for an authenticated person and returns the redirect carrying it (RFC 6749 §4.1.2). */
export async function issueCodeRedirect(
  ctx: OidcContext,
  request: Pick<Interaction, 'clientId' | 'redirectUri' | 'state' | 'nonce' | 'scope' | 'codeChallenge' | 'resource' | 'acrMinimum'>,
  profile: AuthenticatedProfile,
  sessionSid: string | undefined,
): Promise<string> {
  // acr_values: the person's ESIA account cannot be raised by logging in again, so a level
  // below the one asked is refused with the reason, never issued with a lower acr.
  if (!meetsAcr(profile.level, request.acrMinimum)) {
    const client = await ctx.clients.find(request.clientId);
    const failure = { reason: 'acr_not_satisfied' as const, description: `acr_values asks for ${acrForLevel(request.acrMinimum!)} or higher; the person's ESIA account is ${acrForLevel(profile.level)}` };
    return errorRedirect(errorIssuer(ctx.issuer, client), request.redirectUri, { error: 'access_denied', description: failureDescription(failure) }, request.state);
  }
  const code = await ctx.codes.issue({
    clientId: request.clientId,
    redirectUri: request.redirectUri,
    codeChallenge: request.codeChallenge,
    nonce: request.nonce,
    scope: request.scope,
    resource: request.resource,
    profileId: profile.profileId,
    esiaOid: profile.esiaOid,
    level: profile.level,
    authTime: profile.authTime,
    sessionSid,
  });
  return codeRedirect(ctx.issuer, request.redirectUri, code, request.state);
}

export function createInteractions(ctx: OidcContext): Interactions {
  const json = jsonState(ctx.state);
  const ttlMs = ctx.config.interactionTtlSeconds * 1000;

  /** Atomic take: an interaction finishes once, however many tabs or retries race for it. */
  async function take(interactionId: string): Promise<Interaction> {
    const interaction = await json.take<Interaction>(stateKeys.interaction(interactionId));
    if (!interaction || ctx.now() - interaction.createdAt > ttlMs) throw new InteractionNotFound();
    return interaction;
  }

  function assertProfile(profile: AuthenticatedProfile): void {
    if (!profile.profileId || !profile.esiaOid) throw new Error('complete() needs a profile id and an ESIA oid');
  }

  async function completeInBrowser(interactionId: string, profile: AuthenticatedProfile, currentSessionId: string | undefined) {
    assertProfile(profile);
    const interaction = await take(interactionId);
    const session = await ctx.sessions.establish(currentSessionId, {
      esiaOid: profile.esiaOid,
      level: profile.level,
      authTime: profile.authTime,
      esiaSessionId: profile.esiaSessionId,
      profileIds: [profile.profileId],
    });
    const redirectUrl = await issueCodeRedirect(ctx, interaction, profile, session.sid);
    return { redirectUrl, session, clientId: interaction.clientId };
  }

  async function failureRedirect(interaction: Interaction, failure: InteractionFailure): Promise<string> {
    const client = await ctx.clients.find(interaction.clientId);
    return errorRedirect(errorIssuer(ctx.issuer, client), interaction.redirectUri, { error: failure.error, description: failureDescription(failure) }, interaction.state);
  }

  return {
    prepare(fields) {
      const interaction: Interaction = { ...fields, id: randomToken(24), createdAt: ctx.now() };
      return { interaction, entry: json.entry(stateKeys.interaction(interaction.id), interaction, ttlMs) };
    },

    async failUnstarted(interaction, failure) {
      await ctx.state.delete(stateKeys.interaction(interaction.id));
      return failureRedirect(interaction, failure);
    },

    async get(interactionId) {
      const interaction = await json.get<Interaction>(stateKeys.interaction(interactionId));
      return interaction && ctx.now() - interaction.createdAt <= ttlMs ? interaction : null;
    },

    completeInBrowser,

    async complete(interactionId, profile) {
      return (await completeInBrowser(interactionId, profile, undefined)).redirectUrl;
    },

    async fail(interactionId, failure: InteractionFailure) {
      return failureRedirect(await take(interactionId), failure);
    },
  };
}
