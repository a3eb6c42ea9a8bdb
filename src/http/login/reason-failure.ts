import type { InteractionFailure } from '../../oidc/interaction.js';
import { REASONS, type ReasonCode } from '../../policy/reasons.js';

/** What the diary frontend is told for a refusal: the reason's OAuth error and its description. */
export function reasonFailure(code: ReasonCode): InteractionFailure {
  const reason = REASONS[code];
  return { error: reason.oauthError, reason: code, description: reason.description };
}
