import { randomToken } from '../crypto/random.js';
import { signJwt } from '../crypto/jwt.js';
import type { Logger } from '../observability/logger.js';
import type { Client, ClientRepo } from './clients.js';
import type { KeyRing } from './signing-keys.js';

/**
 * OIDC Back-Channel Logout 1.0. Whatever ends grants (logout, an admin unlink, a deactivating
 * import, erasure, refresh token reuse) writes the logout tokens it owes into the outbox, in
 * its own transaction (store/postgres/backchannel-logouts-repo.ts); this worker, running on
 * every replica, signs and POSTs them. Nobody's request waits for a client's endpoint.
 */

/** Whose live grants a logout token is owed for. */
export type LogoutTarget =
  | { by: 'family'; familyId: string }
  | { by: 'session'; sid: string }
  | { by: 'profiles'; profileIds: readonly string[] }
  | { by: 'link'; esiaOid: string; profileId: string }
  | { by: 'person'; profileIds: readonly string[]; esiaOids: readonly string[] };

/** One logout token owed to a client, as claimed by a worker (attempts counts this one). */
export interface OwedLogout {
  id: string;
  clientId: string;
  sub: string;
  sid: string | undefined;
  reason: string;
  attempts: number;
}

/** Implemented in store/postgres. */
export interface BackchannelOutbox {
  /** Due rows, each leased to this caller for leaseSeconds. */
  claim(limit: number, leaseSeconds: number): Promise<OwedLogout[]>;
  delivered(id: string): Promise<void>;
  retryLater(id: string, error: string, delaySeconds: number): Promise<void>;
  giveUp(id: string, error: string): Promise<void>;
}

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** How long a logout token is good for: enough for clock skew, too short to be worth stealing. */
const LOGOUT_TOKEN_TTL_SECONDS = 120;
const BATCH = 20;
const POLL_MS = 1000;
const MAX_DELAY_SECONDS = 3600;

/** The logout token (§2.4): typ logout+jwt, the event, sub and sid, never a nonce. Signed like the client's id_tokens. */
export async function signLogoutToken(issuer: string, keys: KeyRing, client: Client, owed: Pick<OwedLogout, 'sub' | 'sid'>, nowSeconds: number): Promise<string> {
  return signJwt(
    {
      iss: issuer,
      aud: client.clientId,
      iat: nowSeconds,
      exp: nowSeconds + LOGOUT_TOKEN_TTL_SECONDS,
      jti: randomToken(16),
      sub: owed.sub,
      ...(owed.sid !== undefined ? { sid: owed.sid } : {}),
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    },
    await keys.signingKey(client.idTokenAlg),
    'logout+jwt',
  );
}

/** The delay before try `attempts + 1`: retrySeconds, doubling, at most an hour. */
export function retryDelaySeconds(retrySeconds: number, attempts: number): number {
  return Math.min(MAX_DELAY_SECONDS, retrySeconds * 2 ** Math.max(0, attempts - 1));
}

export type DeliveryOutcome = 'delivered' | 'retry' | 'gave_up' | 'dropped';

export interface BackchannelWorkerDeps {
  issuer: string;
  outbox: BackchannelOutbox;
  clients: Pick<ClientRepo, 'find'>;
  keys: KeyRing;
  settings: { maxAttempts: number; retrySeconds: number; timeoutSeconds: number };
  logger: Pick<Logger, 'info' | 'warn'>;
  /** Counts each try's outcome (metrics). */
  count: (outcome: DeliveryOutcome) => void;
  now?: () => number;
}

export interface BackchannelWorker {
  /** Delivers what is due now (and keeps going while full batches come back). */
  runOnce(): Promise<void>;
  start(): void;
  /** Stops polling and waits for the deliveries in flight. */
  stop(): Promise<void>;
}

export function createBackchannelWorker(deps: BackchannelWorkerDeps): BackchannelWorker {
  const { settings } = deps;
  const now = deps.now ?? Date.now;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;
  let lastClaimWarning = 0;

  async function post(uri: string, logoutToken: string): Promise<string | undefined> {
    try {
      const response = await fetch(uri, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ logout_token: logoutToken }),
        redirect: 'manual',
        signal: AbortSignal.timeout(settings.timeoutSeconds * 1000),
      });
      await response.body?.cancel();
      // §2.8: 200 (or 204) when the logout succeeded; anything else is a failure to retry.
      return response.status >= 200 && response.status < 300 ? undefined : `HTTP ${response.status}`;
    } catch (error) {
      const name = (error as Error).name;
      return name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : `network: ${((error as { cause?: { code?: string } }).cause?.code ?? name).slice(0, 60)}`;
    }
  }

  async function deliver(owed: OwedLogout): Promise<DeliveryOutcome> {
    const client = await deps.clients.find(owed.clientId);
    const log = { logout: owed.id, client_id: owed.clientId, reason: owed.reason, attempt: owed.attempts };
    if (!client?.backchannelLogoutUri) {
      // The client stopped asking for them since the row was written.
      await deps.outbox.delivered(owed.id);
      return 'dropped';
    }
    const token = await signLogoutToken(deps.issuer, deps.keys, client, owed, Math.floor(now() / 1000));
    const failure = await post(client.backchannelLogoutUri, token);
    if (failure === undefined) {
      await deps.outbox.delivered(owed.id);
      deps.logger.info(log, 'back-channel logout delivered');
      return 'delivered';
    }
    if (owed.attempts >= settings.maxAttempts) {
      await deps.outbox.giveUp(owed.id, failure);
      deps.logger.warn({ ...log, error: failure }, 'back-channel logout given up');
      return 'gave_up';
    }
    const delay = retryDelaySeconds(settings.retrySeconds, owed.attempts);
    await deps.outbox.retryLater(owed.id, failure, delay);
    deps.logger.warn({ ...log, error: failure, retry_in_seconds: delay }, 'back-channel logout failed, will retry');
    return 'retry';
  }

  async function drain(): Promise<void> {
    // Past the POST timeout plus signing and bookkeeping: no other replica takes a row in flight.
    const leaseSeconds = settings.timeoutSeconds + 30;
    for (;;) {
      let batch: OwedLogout[];
      try {
        batch = await deps.outbox.claim(BATCH, leaseSeconds);
      } catch (error) {
        // The database is down or busy: say so once a minute, not once a second.
        if (now() - lastClaimWarning > 60_000) {
          lastClaimWarning = now();
          deps.logger.warn({ err: error }, 'back-channel logout: could not read the outbox');
        }
        return;
      }
      const outcomes = await Promise.all(
        batch.map((owed) =>
          deliver(owed).catch((error: unknown) => {
            deps.logger.warn({ logout: owed.id, client_id: owed.clientId, err: error }, 'back-channel logout: delivery step failed, the lease will expire');
            return 'retry' as const;
          }),
        ),
      );
      for (const outcome of outcomes) deps.count(outcome);
      if (batch.length < BATCH || stopped) return;
    }
  }

  function runOnce(): Promise<void> {
    running ??= drain().finally(() => {
      running = undefined;
    });
    return running;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      void runOnce().finally(schedule);
    }, POLL_MS);
    timer.unref();
  }

  return {
    runOnce,
    start() {
      if (!stopped) return;
      stopped = false;
      schedule();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
