import type { FastifyReply } from 'fastify';
import { UseDpopNonce } from '../../errors/oauth-errors.js';
import type { OidcContext } from '../../oidc/context.js';
import { currentDpopNonce } from '../../oidc/dpop.js';

/**
 * RFC 9449 §8: with server nonces on, every answer of /token and /userinfo carries the current
 * nonce, so a client has it before it needs it; a use_dpop_nonce refusal carries the one to use.
 */
export function sendDpopNonce(ctx: OidcContext, reply: FastifyReply, error?: unknown): void {
  if (error instanceof UseDpopNonce) reply.header('dpop-nonce', error.nonce);
  else if (ctx.config.dpopRequireNonce) reply.header('dpop-nonce', currentDpopNonce(ctx));
}
