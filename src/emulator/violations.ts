import type { FastifyInstance, FastifyRequest } from 'fastify';
import { EsiaFault } from './esia-errors.js';

/**
 * What each request did wrong, as ESIA would have judged it, for integrators' tests to read
 * (`violations()` in-process, `GET /__emulator/violations` over HTTP). Every answer carrying an
 * ESIA error code is logged as enforced; in lenient mode the signature and time checks log their
 * finding as tolerated and let the request go on, so a team can explore the rest of the flow
 * before its signing works. Every answer names its request in `X-Emulator-Request-Id`.
 */
export type Strictness = 'strict' | 'lenient';

export interface Violation {
  requestId: string;
  at: string;
  method: string;
  path: string;
  /** ESIA error code, e.g. 007053. */
  code: string;
  description: string;
  /** false: lenient mode let the request go on. */
  enforced: boolean;
}

const LIMIT = 1000;
const ESIA_CODE = /ESIA-(\d{6}):?[^"&<]*/;

export function createViolationLog(strictness: Strictness) {
  const entries: Violation[] = [];
  const add = (request: FastifyRequest, code: string, description: string, enforced: boolean) => {
    entries.push({ requestId: request.id, at: new Date().toISOString(), method: request.method, path: request.url.split('?')[0] ?? '', code, description, enforced });
    if (entries.length > LIMIT) entries.shift();
  };
  return {
    strictness,
    list: (requestId?: string): Violation[] => entries.filter((entry) => !requestId || entry.requestId === requestId).map((entry) => ({ ...entry })),
    clear: () => void entries.splice(0),
    /** Runs a check; lenient mode logs an ESIA fault it raises instead of answering it. */
    async tolerate(request: FastifyRequest, check: () => unknown): Promise<void> {
      try {
        await check();
      } catch (error) {
        if (strictness === 'strict' || !(error instanceof EsiaFault)) throw error;
        add(request, error.code, `ESIA-${error.code} (tolerated: EMULATOR_STRICTNESS=lenient)`, false);
      }
    },
    /** Logs every answer that carries an ESIA error code: JSON body, redirect or page. */
    install(app: FastifyInstance): void {
      app.addHook('onSend', async (request, reply, payload) => {
        reply.header('x-emulator-request-id', request.id);
        const location = reply.getHeader('location');
        const text = typeof payload === 'string' ? payload : '';
        const where = typeof location === 'string' ? decodeURIComponent(location.replace(/\+/g, ' ')) : text;
        const match = ESIA_CODE.exec(where);
        if (match?.[1] && !request.url.startsWith('/__emulator')) add(request, match[1], match[0].trim(), true);
        return payload;
      });
    },
  };
}
export type ViolationLog = ReturnType<typeof createViolationLog>;
