import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Faults } from './context.js';
import { esiaError } from './esia-errors.js';

/**
 * Fault injection (docs/emulator.md): slow answers, HTTP 500 with an HTML body that must never
 * reach a user, and ESIA-007008 maintenance (a wrong token `state` is in the token route). The back channel is the token endpoint and the REST
 * API; the browser side (/ac) reports maintenance by redirect, in its own route.
 */
export function installFaults(app: FastifyInstance, faults: Faults) {
  const pending = new Set<() => void>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        pending.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      pending.add(done);
    });

  app.addHook('onRequest', async (request, reply) => {
    if (request.url.startsWith('/__emulator/')) return;
    const backchannel = (request.method === 'POST' && request.url.startsWith('/aas/oauth2/')) || request.url.startsWith('/rs/');
    if (faults.delayMs > 0 && (faults.delayScope === 'all' || backchannel)) await sleep(faults.delayMs);
    if (!backchannel) return;
    if (faults.serverError) {
      return reply
        .code(500)
        .type('text/html; charset=utf-8')
        .send('<html><body><h1>HTTP Status 500 - Internal Server Error</h1><pre>java.lang.NullPointerException\n\tat ru.rtlabs.esia.oauth2.TokenEndpoint.handle(TokenEndpoint.java:214)</pre></body></html>');
    }
    if (faults.maintenance) return reply.code(503).header('cache-control', 'no-store').send(esiaError('007008'));
  });

  return {
    releaseAll() {
      for (const done of [...pending]) done();
    },
  };
}

const faultsSchema = z
  .object({
    delayMs: z.number().int().min(0).max(120_000),
    delayScope: z.enum(['backchannel', 'all']),
    serverError: z.boolean(),
    maintenance: z.boolean(),
    clockOffsetMs: z.number().int(),
    wrongState: z.boolean(),
    personEmbedIgnored: z.boolean(),
  })
  .partial()
  .strict();

/** /__emulator/*: the same switches over HTTP, for demos (enabled by EMULATOR_CONTROL_API). */
export function registerControlRoutes(app: FastifyInstance, faults: Faults, rotate: () => Promise<void>): void {
  app.get('/__emulator/faults', async () => faults);
  app.post('/__emulator/faults', async (request, reply) => {
    // A form or an empty body used to be taken as "no change" and answered 200: say so instead.
    const raw = Buffer.isBuffer(request.body) ? request.body.toString('utf8') : typeof request.body === 'string' ? request.body : undefined;
    if (raw === undefined) return reply.code(400).send({ error: 'body must be a JSON object (Content-Type: application/json)' });
    let input: unknown;
    try {
      input = JSON.parse(raw);
    } catch {
      return reply.code(400).send({ error: 'body must be JSON' });
    }
    const parsed = faultsSchema.safeParse(input);
    if (!parsed.success) return reply.code(400).send({ error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
    Object.assign(faults, parsed.data);
    return faults;
  });
  app.post('/__emulator/rotate-token-keys', async () => {
    await rotate();
    return { rotated: true };
  });
}
