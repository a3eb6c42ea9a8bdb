import { z } from 'zod';
import type { EsiaConfig } from '../config/esia.js';
import { randomId } from '../crypto/random.js';
import type { Interaction, LoginStarter } from '../oidc/interaction.js';
import { jsonState, type StateStore } from '../store/state-store.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import type { EsiaClient } from './client.js';
import { EsiaError, translateEsiaError } from './errors.js';
import { esiaKeys } from './keys.js';
import type { EsiaPerson } from './person.js';
import { UUID_PATTERN } from './protocol.js';

/**
 * The ESIA leg of a login (docs/esia.md, "The login, on the wire"): start() parks a PendingLogin under a fresh UUID state
 * and returns the signed ESIA URL; complete() takes the pending login exactly once, and only for
 * the browser bound to it, and turns the callback into a person or a typed failure.
 */
export const PENDING_LOGIN_TTL_MS = 10 * 60_000;

const pendingLoginSchema = z.object({ interactionId: z.string(), esiaState: z.string(), createdAt: z.number(), region: z.string().optional(), forceLogin: z.boolean().optional() });
export type PendingLogin = z.infer<typeof pendingLoginSchema>;

export class LoginStateError extends Error {
  constructor(
    readonly detail: 'unknown_state' | 'cookie_mismatch' | 'bad_request',
    /** cookie_mismatch: the login the state belongs to (its browser may have given it up for newer ones). */
    readonly interactionId?: string,
  ) {
    super(`ESIA callback refused: ${detail}`);
    this.name = 'LoginStateError';
  }
}

export interface EsiaLoginDeps {
  state: StateStore;
  client: EsiaClient;
  config: Pick<EsiaConfig, 'forceLogin'>;
  /** Our own URL of /esia/login (used when a fresh ESIA login must be forced). */
  relayUrl: string;
  /** ESIA's circuit breaker: while it is open a login is refused before the person meets ESIA. */
  breaker?: Pick<CircuitBreaker, 'state'> | undefined;
  now?: () => number;
}

export function createEsiaLogin(deps: EsiaLoginDeps) {
  const store = jsonState(deps.state);
  const now = deps.now ?? Date.now;

  const starter: LoginStarter = {
    async start(interaction: Interaction, alongside = []) {
      // The callback would be refused anyway: say so now, not after the person logged in at ESIA.
      if (deps.breaker?.state === 'open') throw new EsiaError('unavailable', 'circuit open after repeated ESIA failures: login not started');
      const esiaState = randomId();
      const pending: PendingLogin = { interactionId: interaction.id, esiaState, createdAt: now(), region: interaction.region, forceLogin: interaction.forceLogin };
      await deps.state.putMany([...alongside, store.entry(esiaKeys.pendingLogin(esiaState), pending, PENDING_LOGIN_TTL_MS)]);
      // ESIA has no prompt=login [?]: a forced login goes through ESIA's logout first, which
      // ends its SSO session and comes back to /esia/login, which then sends the browser to /ac.
      if (interaction.forceLogin && deps.config.forceLogin === 'logout') {
        return deps.client.logoutUrl(`${deps.relayUrl}?${new URLSearchParams({ state: esiaState }).toString()}`);
      }
      return deps.client.authorizationUrl(esiaState);
    },
    // Offered on our logout page: ends the ESIA session too, then ESIA sends the browser to returnTo.
    esiaLogoutUrl: (returnTo) => deps.client.logoutUrl(returnTo),
  };

  return {
    starter,

    /** /esia/login?state=…: the second half of a forced login; the pending login stays in place. */
    async relay(esiaState: string | undefined): Promise<string> {
      if (!esiaState || !UUID_PATTERN.test(esiaState)) throw new LoginStateError('bad_request');
      const pending = await store.get<PendingLogin>(esiaKeys.pendingLogin(esiaState));
      if (!pending) throw new LoginStateError('unknown_state');
      return deps.client.authorizationUrl(esiaState);
    },

    /**
     * Puts a taken pending login back for the rest of its lifetime: our own storage failed after
     * the take, so the person may try again through /esia/login instead of starting over. The
     * ESIA code it was taken for is spent; a retry fetches a new one under the same state.
     */
    async restore(pending: PendingLogin): Promise<boolean> {
      const left = pending.createdAt + PENDING_LOGIN_TTL_MS - now();
      if (left <= 0) return false;
      await store.put(esiaKeys.pendingLogin(pending.esiaState), pending, left);
      return true;
    },

    /**
     * The callback, as flat steps: takeBoundPendingLogin → assertNoEsiaError → completeAtEsia.
     * The pending login is taken only if this browser is bound to it, in one atomic step, so a
     * callback from another browser carrying a stolen state cannot burn the real browser's login.
     * A LoginStateError means we cannot tie the callback to a login; an EsiaError carries the
     * pending login so the interaction can be failed properly.
     */
    async complete(input: { state?: string | undefined; code?: string | undefined; error?: string | undefined; errorDescription?: string | undefined; boundInteractionIds: readonly string[] }): Promise<{ pending: PendingLogin; person: EsiaPerson }> {
      const pending = await takeBoundPendingLogin(validState(input.state), input.boundInteractionIds);
      if (input.error || !input.code) {
        throw new EsiaLoginFailure(pending, input.error || input.errorDescription ? translateEsiaError({ error: input.error, description: input.errorDescription }) : new EsiaError('bad_response', 'callback without code or error'));
      }
      try {
        return { pending, person: await deps.client.completeLogin(input.code) };
      } catch (error) {
        if (error instanceof EsiaError) throw new EsiaLoginFailure(pending, error);
        throw error;
      }
    },
  };

  function validState(esiaState: string | undefined): string {
    if (!esiaState || !UUID_PATTERN.test(esiaState)) throw new LoginStateError('unknown_state');
    return esiaState;
  }

  function parsePending(raw: unknown, esiaState: string): PendingLogin {
    const parsed = pendingLoginSchema.safeParse(raw);
    if (!parsed.success || parsed.data.esiaState !== esiaState) throw new LoginStateError('unknown_state');
    return parsed.data;
  }

  /**
   * The atomic take-once, only for a browser whose cookie lists this login's interaction (it
   * may list other tabs' too): of two callbacks of the same browser racing, only one gets it;
   * another browser's callback gets cookie_mismatch and leaves it in place.
   */
  async function takeBoundPendingLogin(esiaState: string, boundInteractionIds: readonly string[]): Promise<PendingLogin> {
    const answer = await store.takeIfFields<unknown>(esiaKeys.pendingLogin(esiaState), { interactionId: boundInteractionIds });
    const pending = parsePending(answer?.value ?? null, esiaState);
    if (!answer?.taken) throw new LoginStateError('cookie_mismatch', pending.interactionId);
    return pending;
  }
}
export type EsiaLogin = ReturnType<typeof createEsiaLogin>;

/** An ESIA failure on a login we know: the interaction can be failed with the right reason. */
export class EsiaLoginFailure extends Error {
  constructor(
    readonly pending: PendingLogin,
    readonly error: EsiaError,
  ) {
    super(error.message);
    this.name = 'EsiaLoginFailure';
  }
}
