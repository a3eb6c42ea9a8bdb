import type { Sealer } from '../../crypto/key-encryption.js';
import { randomToken, safeEqual } from '../../crypto/random.js';
import type { EsiaPerson } from '../../esia/person.js';
import type { StateStore } from '../../store/state-store.js';

/**
 * A login waiting on the person (a chooser, the manual-link form, or the "linked" page before
 * the code is issued). The ESIA person is sealed (AES-GCM under KEY_ENCRYPTION_KEY, bound to
 * the interaction id), so Redis never holds a SNILS or a name in clear; ≤ 10 minutes.
 */
export type PendingStep = { kind: 'choose' } | { kind: 'manual-link' } | { kind: 'linked'; profileId: string };

export interface PendingResolution {
  interactionId: string;
  person: EsiaPerson;
  step: PendingStep;
  /** Anti-forgery token every form and link of the step carries. */
  xsrf: string;
}

const TTL_MS = 10 * 60 * 1000;
/** Exported for the register of processing (docs/personal-data.md). */
export const pendingResolutionKey = (interactionId: string) => `login:resolution:${interactionId}`;
const key = pendingResolutionKey;

export function createPendingResolutions(state: StateStore, sealer: Sealer) {
  /** The pending step of this interaction when the presented token matches, else null. */
  async function load(interactionId: string, xsrf: string | undefined): Promise<PendingResolution | null> {
    const sealed = await state.get(key(interactionId));
    if (!sealed || !xsrf) return null;
    let pending: PendingResolution;
    try {
      pending = JSON.parse(sealer.open(sealed, interactionId)) as PendingResolution;
    } catch {
      return null;
    }
    return safeEqual(pending.xsrf, xsrf) ? pending : null;
  }

  return {
    async save(interactionId: string, person: EsiaPerson, step: PendingStep, xsrf: string = randomToken(24)): Promise<PendingResolution> {
      const pending: PendingResolution = { interactionId, person, step, xsrf };
      await state.put(key(interactionId), sealer.seal(JSON.stringify(pending), interactionId), TTL_MS);
      return pending;
    },

    load,

    /**
     * The pending step, among the interactions this browser lists, whose token matches: the
     * token tells which tab's page posted.
     */
    async findListed(interactionIds: readonly string[], xsrf: string | undefined): Promise<PendingResolution | null> {
      if (!xsrf) return null;
      const found = await Promise.all(interactionIds.map((id) => load(id, xsrf)));
      return found.find((pending) => pending !== null) ?? null;
    },

    /** Ends the step: of two concurrent posts only the one that takes it goes on. */
    async finish(interactionId: string): Promise<boolean> {
      return (await state.take(key(interactionId))) !== null;
    },
  };
}

export type PendingResolutions = ReturnType<typeof createPendingResolutions>;
