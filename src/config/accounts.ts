import { z } from 'zod';
import { positiveInt } from './fields.js';

/**
 * Manual-link rate limits (src/accounts/rate-limit.ts): failures allowed per diary login, per
 * ESIA account and per IP within one window (a lockout lasts at most one window), and per ESIA
 * account within a day, which bounds how often one account can lock someone else's login;
 * and how many password checks (scrypt, ~32 MB and a core each) one ESIA account or address may
 * have running at once in one process.
 */
export const accountsEnvSchema = z.object({
  LINK_MAX_FAILURES_PER_LOGIN: positiveInt.default(5),
  LINK_MAX_FAILURES_PER_ESIA_ACCOUNT: positiveInt.default(10),
  LINK_MAX_DAILY_FAILURES_PER_ESIA_ACCOUNT: positiveInt.default(20),
  LINK_MAX_FAILURES_PER_IP: positiveInt.default(100),
  LINK_FAILURE_WINDOW_SECONDS: positiveInt.default(900),
  LINK_MAX_CONCURRENT_CHECKS_PER_ESIA_ACCOUNT: positiveInt.default(2),
  LINK_MAX_CONCURRENT_CHECKS_PER_IP: positiveInt.default(8),
});

export interface AccountsConfig {
  readonly linkLimits: {
    readonly perLogin: number;
    readonly perEsiaAccount: number;
    readonly perEsiaAccountPerDay: number;
    readonly perIp: number;
    readonly windowMs: number;
    readonly concurrentPerEsiaAccount: number;
    readonly concurrentPerIp: number;
  };
}

export function resolveAccountsConfig(e: z.infer<typeof accountsEnvSchema>): AccountsConfig {
  return {
    linkLimits: {
      perLogin: e.LINK_MAX_FAILURES_PER_LOGIN,
      perEsiaAccount: e.LINK_MAX_FAILURES_PER_ESIA_ACCOUNT,
      perEsiaAccountPerDay: e.LINK_MAX_DAILY_FAILURES_PER_ESIA_ACCOUNT,
      perIp: e.LINK_MAX_FAILURES_PER_IP,
      windowMs: e.LINK_FAILURE_WINDOW_SECONDS * 1000,
      concurrentPerEsiaAccount: e.LINK_MAX_CONCURRENT_CHECKS_PER_ESIA_ACCOUNT,
      concurrentPerIp: e.LINK_MAX_CONCURRENT_CHECKS_PER_IP,
    },
  };
}
