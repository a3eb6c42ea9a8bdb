import type { Accounts } from '../../accounts/accounts.js';
import type { LoginContext } from '../../accounts/context.js';
import type { DiaryProfile } from '../../accounts/directory.js';
import type { EsiaPerson } from '../../esia/person.js';
import type { Metrics } from '../../metrics/metrics.js';
import type { LoginOutcome } from '../../policy/outcomes.js';
import type { ReasonCode } from '../../policy/reasons.js';

/**
 * The one place a finished login is written down: the audit event the admin reports count and
 * the /metrics counter, together. A refusal counted by the metric but not audited (as ESIA's
 * own refusals once were) would be missing from the outcomes report.
 */
export interface LoginOutcomes {
  succeeded(person: EsiaPerson, profile: DiaryProfile, ctx: LoginContext): Promise<void>;
  /** `region` undefined only for a pending login from before regions were recorded. */
  refused(esiaOid: string | undefined, refusal: { reason: ReasonCode; detail?: string | undefined }, ctx: { regionCode: string | undefined; clientId?: string | undefined; requestId?: string | undefined }): Promise<void>;
}

export function createLoginOutcomes(deps: { accounts: Pick<Accounts, 'recordLogin' | 'recordRefusal'>; metrics: Metrics }): LoginOutcomes {
  const count = (outcome: LoginOutcome, region: string | undefined) => deps.metrics.loginOutcomes.inc({ outcome, region: region ?? 'unknown' });
  return {
    async succeeded(person, profile, ctx) {
      await deps.accounts.recordLogin(person, profile, ctx);
      count('success', ctx.regionCode);
    },
    async refused(esiaOid, refusal, ctx) {
      await deps.accounts.recordRefusal(esiaOid, refusal.detail ? { reason: refusal.reason, detail: refusal.detail } : { reason: refusal.reason }, ctx);
      count(refusal.reason, ctx.regionCode);
    },
  };
}
