import type { FastifyInstance } from 'fastify';
import { safeEqual } from '../../crypto/random.js';
import type { Metrics } from '../../metrics/metrics.js';

export interface Probe {
  name: string;
  check(): Promise<void>;
}

export interface OpsRoutesDeps {
  probes: readonly Probe[];
  metrics: Metrics;
  probeTimeoutMs?: number;
  /** When set, /metrics wants `Authorization: Bearer <token>` (METRICS_TOKEN). */
  metricsToken?: string | undefined;
  /** Configuration warnings (an accepted risk such as ESIA_ALLOW_UNCERTIFIED_SIGNER), repeated in /readyz. */
  warnings?: readonly string[];
}

/** /healthz (alive), /readyz (dependencies answer), /metrics (Prometheus text). */
export function registerOpsRoutes(app: FastifyInstance, deps: OpsRoutesDeps): void {
  const timeoutMs = deps.probeTimeoutMs ?? 1000;

  app.get('/healthz', async (_request, reply) => {
    return reply.header('cache-control', 'no-store').send({ status: 'ok' });
  });

  app.get('/readyz', async (_request, reply) => {
    const results = await Promise.all(deps.probes.map(async (probe) => [probe.name, await runProbe(probe, timeoutMs)] as const));
    const checks = Object.fromEntries(results);
    const failed = results.filter(([, result]) => result !== 'ok').map(([name]) => name);
    const warnings = deps.warnings?.length ? { warnings: deps.warnings } : {};
    return reply
      .code(failed.length === 0 ? 200 : 503)
      .header('cache-control', 'no-store')
      .send(failed.length === 0 ? { status: 'ok', checks, ...warnings } : { status: 'unavailable', failed, checks, ...warnings });
  });

  app.get('/metrics', async (request, reply) => {
    if (deps.metricsToken !== undefined) {
      const presented = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
      if (!safeEqual(presented, deps.metricsToken)) {
        return reply.code(401).header('www-authenticate', 'Bearer realm="metrics"').header('cache-control', 'no-store').send({ error: 'invalid_token', error_description: 'the metrics need the bearer token METRICS_TOKEN' });
      }
    }
    return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
}

async function runProbe(probe: Probe, timeoutMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe.check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ]);
    return 'ok';
  } catch (error) {
    return error instanceof Error && error.message === 'timeout' ? 'timeout' : 'down';
  } finally {
    clearTimeout(timer);
  }
}
