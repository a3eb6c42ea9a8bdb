import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { InvalidRequest } from '../../errors/oauth-errors.js';
import { ESIA_FAILURES, EsiaError } from '../../esia/errors.js';
import { EsiaLoginFailure, LoginStateError, type EsiaLogin, type PendingLogin } from '../../esia/login.js';
import type { EsiaPerson } from '../../esia/person.js';
import type { InteractionFailure } from '../../oidc/interaction.js';
import { infrastructureFailure, type StoreUnavailable } from '../../store/unavailable.js';
import { sendUnavailable } from '../error-handler.js';
import type { LoginOutcomes } from '../login/login-outcome.js';
import { reasonFailure } from '../login/reason-failure.js';
import { refusalSituation } from '../login/refusal-situation.js';
import type { RegionsHolder } from '../../config/regions.js';
import { finishedLoginHome, readInteractionIds, sendAlreadyLoggedIn, sendSuperseded, supersededRedirect } from '../oidc/interaction-http.js';
import { refusalPage } from '../pages/refusal-page.js';
import { readable } from '../../validation/readable-text.js';

/**
 * The ESIA leg's browser endpoints: GET /esia/callback (ESIA sends the browser back here with a
 * code, or an error) and GET /esia/login (second half of a forced fresh login, after ESIA's
 * logout). The person goes to the injected handler: the resolution leg.
 */
export interface EsiaPersonHandler {
  handle(input: { interactionId: string; person: EsiaPerson; request: FastifyRequest; reply: FastifyReply }): Promise<unknown>;
}

export interface EsiaRoutesDeps {
  login: EsiaLogin;
  handler: EsiaPersonHandler;
  /** InteractionService.fail: gives the client redirect carrying the OAuth error (the back link). */
  interactions?: { fail(interactionId: string, failure: InteractionFailure): Promise<string> } | undefined;
  /** The diary redirect carrying temporarily_unavailable, without finishing the interaction (a retry may still finish it). */
  unavailableBackLink?: ((interactionId: string) => Promise<string | undefined>) | undefined;
  /** Audits and counts ESIA's own refusals (consent refused, ESIA unavailable) like every other outcome. */
  outcomes: Pick<LoginOutcomes, 'refused'>;
  /** The region table: a refusal page names the rules of the login's region. */
  regions?: RegionsHolder | undefined;
}

const text = readable(z.string().max(4096), 'multiline').optional();
const short = readable(z.string().max(128)).optional();
const callbackQuery = z.object({ state: short, code: text, error: short, error_description: text });
const relayQuery = z.object({ state: short });

export function registerEsiaRoutes(app: FastifyInstance, deps: EsiaRoutesDeps): void {
  app.get('/esia/callback', { config: { surface: 'page' } }, async (request, reply) => {
    const query = callbackQuery.parse(request.query);
    let taken: PendingLogin | undefined;
    try {
      const { pending, person } = await deps.login.complete({
        state: query.state,
        code: query.code,
        error: query.error,
        errorDescription: query.error_description,
        boundInteractionIds: readInteractionIds(request),
      });
      taken = pending;
      request.log.info({ interactionId: pending.interactionId, esiaLevel: person.level }, 'ESIA login completed');
      return await deps.handler.handle({ interactionId: pending.interactionId, person, request, reply });
    } catch (error) {
      const down = infrastructureFailure(error);
      if (down) return unavailable(request, reply, down, taken);
      if (error instanceof LoginStateError) {
        // A login this browser gave up for newer ones (more tabs than it may keep): home to its diary, saying so.
        const superseded = error.interactionId === undefined ? undefined : await supersededRedirect(request, error.interactionId).catch(() => undefined);
        if (superseded) return sendSuperseded(request, reply, superseded);
        // Back to this callback after the login finished: the person is logged in, show the way to the diary.
        const home = error.detail === 'unknown_state' ? await finishedLoginHome(request).catch(() => undefined) : undefined;
        if (home) return sendAlreadyLoggedIn(reply, home);
        throw stale(request, error);
      }
      if (!(error instanceof EsiaLoginFailure)) throw error;
      return refuse(request, reply, error);
    }
  });

  app.get('/esia/login', { config: { surface: 'page' } }, async (request, reply) => {
    const { state } = relayQuery.parse(request.query);
    try {
      return reply.header('cache-control', 'no-store').redirect(await deps.login.relay(state));
    } catch (error) {
      if (error instanceof LoginStateError) throw stale(request, error);
      if (!(error instanceof EsiaError)) throw error;
      // Signing the ESIA request failed or ran out of time: the pending login stays, a reload retries.
      request.log.warn({ failure: error.failure, detail: error.detail }, 'ESIA login relay failed');
      return reply.code(esiaFailureStatus(error)).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(refusalPage(error.reason));
    }
  });

  /**
   * Our storage failed after the pending login was taken: put it back so «Попробовать ещё раз»
   * (/esia/login, a new ESIA code under the same state) can finish this login once we are back.
   */
  async function unavailable(request: FastifyRequest, reply: FastifyReply, down: StoreUnavailable, taken: PendingLogin | undefined) {
    if (!taken) return sendUnavailable(request, reply, down);
    const restored = await deps.login.restore(taken).catch(() => false);
    const backUrl = await deps.unavailableBackLink?.(taken.interactionId).catch(() => undefined);
    const retryUrl = restored ? `/esia/login?${new URLSearchParams({ state: taken.esiaState }).toString()}` : undefined;
    return sendUnavailable(request, reply, down, { backUrl, retryUrl });
  }

  async function refuse(request: FastifyRequest, reply: FastifyReply, failure: EsiaLoginFailure) {
    const { error, pending } = failure;
    const log = { interactionId: pending.interactionId, failure: error.failure, esiaCode: error.esiaCode, detail: error.detail };
    if (ESIA_FAILURES[error.failure].operatorAction) request.log.error(log, 'ESIA login failed: check the ESIA configuration');
    else request.log.warn(log, 'ESIA login failed');
    await deps.outcomes.refused(undefined, { reason: error.reason, detail: error.failure }, { regionCode: pending.region, requestId: request.id });
    const backUrl = deps.interactions
      ? await deps.interactions.fail(pending.interactionId, reasonFailure(error.reason)).catch((cause: unknown) => {
          request.log.warn({ err: cause, interactionId: pending.interactionId }, 'could not fail the interaction');
          return undefined;
        })
      : undefined;
    return reply.code(esiaFailureStatus(error)).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(refusalPage(error.reason, { backUrl, situation: deps.regions && refusalSituation(deps.regions.current(), pending.region, new Date()) }));
  }
}

/** 403 for the person's own refusals, 503 while ESIA (or our signer) is unavailable, 502 otherwise. */
export function esiaFailureStatus(error: EsiaError): number {
  return error.reason !== 'esia_unavailable' ? 403 : error.failure === 'unavailable' ? 503 : 502;
}

function stale(request: FastifyRequest, error: LoginStateError): InvalidRequest {
  request.log.info({ refused: error.detail }, 'ESIA callback not tied to a pending login');
  return new InvalidRequest(error.detail === 'cookie_mismatch' ? 'the login was started in another browser' : 'the login expired or was already completed');
}

