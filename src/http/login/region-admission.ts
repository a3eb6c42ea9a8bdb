import type { FastifyRequest } from 'fastify';
import type { Accounts } from '../../accounts/accounts.js';
import type { RegionsHolder } from '../../config/regions.js';
import type { Metrics } from '../../metrics/metrics.js';
import type { RegionAdmission } from '../../oidc/authorize/authorize.js';
import { regionGate } from '../../policy/decide.js';
import { reasonFailure } from './reason-failure.js';

/**
 * /authorize asks before anyone is sent to ESIA: a region that is not ESIA-enabled (not in the
 * table, or switched off) is refused at once with access_denied, so the diary falls back to its
 * password form without a pointless ESIA login (the ESIA-login help page). Counted and audited like every refusal.
 */
export function createRegionAdmission(deps: { regions: RegionsHolder; accounts: Pick<Accounts, 'recordRefusal'>; metrics: Metrics }) {
  return (request: FastifyRequest): RegionAdmission =>
    async ({ clientId, region }) => {
      const denied = regionGate(deps.regions.current().get(region));
      if (!denied) return undefined;
      await deps.accounts.recordRefusal(undefined, { reason: denied.reason, detail: denied.detail }, { regionCode: region, clientId, requestId: request.id });
      deps.metrics.loginOutcomes.inc({ outcome: denied.reason, region });
      request.log.info({ reason: denied.reason, detail: denied.detail, region }, 'login refused before ESIA');
      return reasonFailure(denied.reason);
    };
}
