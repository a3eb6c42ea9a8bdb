import type { FastifyReply, FastifyRequest } from 'fastify';
import { safeEqual } from '../../crypto/random.js';

/**
 * Bearer ADMIN_TOKEN on every /admin API call, compared in constant time.
 * No token configured: the admin API answers 404 as if it did not exist.
 */
export function adminAuth(adminToken: string | undefined) {
  return async function requireAdmin(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (!adminToken) {
      await reply.code(404).send({ error: 'not_found', error_description: 'the admin API is disabled (no ADMIN_TOKEN)' });
      return;
    }
    const presented = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
    if (!presented || !safeEqual(presented, adminToken)) {
      await reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="esia-broker-admin"')
        .send({ error: 'invalid_token', error_description: 'a valid admin bearer token is required' });
    }
  };
}
