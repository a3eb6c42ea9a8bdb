import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RegionsHolder } from '../../config/regions.js';
import { InvalidRequest } from '../../errors/oauth-errors.js';
import { effectivePolicies, effectivePolicy, notEnabledPolicy, toPublicJson } from '../../policy/effective-policy.js';
import { localDate } from '../../policy/age.js';

const codeParams = z.object({ code: z.string().regex(/^\d{2}$/) });

/**
 * Public: each region's effective policy today (per role and age band), so a diary frontend
 * knows whether to hide its password form. Each request reads one snapshot of the
 * table, so a SIGHUP reload never mixes old and new rules within a response.
 */
export function registerRegionRoutes(app: FastifyInstance, deps: { regions: RegionsHolder; now?: () => Date }): void {
  const now = deps.now ?? (() => new Date());

  app.get('/regions', async (_request, reply) => {
    const table = deps.regions.current();
    return reply.header('cache-control', 'public, max-age=60').send({ regions: effectivePolicies(table, now()).map(toPublicJson) });
  });

  app.get('/regions/:code', async (request, reply) => {
    const parsed = codeParams.safeParse(request.params);
    if (!parsed.success) throw new InvalidRequest('region must be a two-digit code');
    const at = now();
    const region = deps.regions.current().get(parsed.data.code);
    const body = region ? toPublicJson(effectivePolicy(region, localDate(at, region.timeZone))) : notEnabledPolicy(parsed.data.code, at);
    return reply.header('cache-control', 'public, max-age=60').send(body);
  });
}
