import type { FastifyRequest } from 'fastify';
import type { RegionsHolder } from '../../config/regions.js';
import type { RegionAdmission } from '../../oidc/authorize/authorize.js';
import { regionGate } from '../../policy/decide.js';
import type { LoginOutcomes } from './login-outcome.js';
import { reasonFailure } from './reason-failure.js';

/**
 * /authorize asks before anyone is sent to ESIA: a region that is not ESIA-enabled (not in the
 * table, or switched off) is refused at once with access_denied, so the diary falls back to its
 * password form without a pointless ESIA login (the ESIA-login help page). Counted and audited like every refusal.
 */
export function createRegionAdmission(deps: { regions: RegionsHolder; outcomes: Pick<LoginOutcomes, 'refused'> }) {
  return (request: FastifyRequest): RegionAdmission =>
    async ({ clientId, region }) => {
      const denied = regionGate(deps.regions.current().get(region));
      if (!denied) return undefined;
      await deps.outcomes.refused(undefined, { reason: denied.reason, detail: denied.detail }, { regionCode: region, clientId, requestId: request.id });
      request.log.info({ reason: denied.reason, detail: denied.detail, region }, 'login refused before ESIA');
      return reasonFailure(denied.reason);
    };
}
