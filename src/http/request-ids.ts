import type { RawRequestDefaultExpression } from 'fastify';
import { randomToken } from '../crypto/random.js';
import { holdsSnils } from '../crypto/snils.js';

const CALLER_ID = /^[\w.-]{1,64}$/;

/**
 * Fastify's genReqId: the caller's x-request-id when it is sane (a load balancer's, so one id
 * follows the request through), else this process's random prefix and a counter. The id only
 * correlates log lines, audit rows and answers, and callers choose their own anyway, so it
 * need not be unguessable; the 96-bit prefix keeps it unique across instances and restarts,
 * without a random UUID per request. A caller's id that holds a SNILS (eleven digits fit the
 * pattern) is not taken: it would reach every log line and audit row of the request.
 */
export function createRequestIds(): (request: RawRequestDefaultExpression) => string {
  const prefix = `${randomToken(12)}.`;
  let next = 0;
  return (request) => {
    const given = request.headers['x-request-id'];
    if (typeof given === 'string' && CALLER_ID.test(given) && !holdsSnils(given)) return given;
    next += 1;
    return prefix + next.toString(36);
  };
}
