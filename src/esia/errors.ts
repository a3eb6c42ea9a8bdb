import type { ReasonCode } from '../policy/reasons.js';

/**
 * Every ESIA failure, translated in this one place into a stable code. ESIA's own
 * text never leaves this module except as the six-digit code, for logs; users see a reason page.
 */
export const ESIA_FAILURES = {
  /** The person pressed «Отказать» (ESIA-007004 / access_denied on the callback). */
  consent_refused: { reason: 'consent_refused', operatorAction: false },
  /** ESIA refused the account itself (ESIA-007055: unconfirmed account with person_filter). */
  account_not_allowed: { reason: 'esia_level_too_low', operatorAction: false },
  /** Our key, certificate or registration: 007053 clientSecretWrong, 007002, 007005, 008010. */
  client_rejected: { reason: 'esia_unavailable', operatorAction: true },
  /** Our request: a missing or bad parameter, scope not approved, redirect not registered. */
  request_rejected: { reason: 'esia_unavailable', operatorAction: true },
  /** ESIA-007015: our clock and ESIA's disagree. */
  clock_skew: { reason: 'esia_unavailable', operatorAction: true },
  /** ESIA-007011: the code expired, was used, or belongs to another request. */
  grant_invalid: { reason: 'esia_unavailable', operatorAction: false },
  /** 5xx, 007007, 007008, network errors, timeouts, the circuit breaker open. */
  unavailable: { reason: 'esia_unavailable', operatorAction: false },
  /** A response we cannot trust: bad JSON, wrong shape, state mismatch, id_token invalid. */
  bad_response: { reason: 'esia_unavailable', operatorAction: true },
} as const satisfies Record<string, { reason: ReasonCode; operatorAction: boolean }>;

export type EsiaFailure = keyof typeof ESIA_FAILURES;

export class EsiaError extends Error {
  readonly reason: ReasonCode;
  constructor(
    readonly failure: EsiaFailure,
    /** Safe for logs: our words, an ESIA code, an HTTP status; never an ESIA body. */
    readonly detail: string,
    readonly esiaCode?: string,
  ) {
    super(`ESIA ${failure}: ${detail}`);
    this.name = 'EsiaError';
    this.reason = ESIA_FAILURES[failure].reason;
  }
}

const BY_ESIA_CODE: Record<string, EsiaFailure> = {
  '007002': 'client_rejected',
  '007003': 'request_rejected',
  '007004': 'consent_refused',
  '007005': 'client_rejected',
  '007006': 'request_rejected',
  '007007': 'unavailable',
  '007008': 'unavailable',
  '007009': 'request_rejected',
  '007011': 'grant_invalid',
  '007012': 'request_rejected',
  '007013': 'request_rejected',
  '007014': 'request_rejected',
  '007015': 'clock_skew',
  '007019': 'request_rejected',
  '007023': 'request_rejected',
  '007038': 'request_rejected',
  '007053': 'client_rejected',
  '007055': 'account_not_allowed',
  '008010': 'client_rejected',
};

const BY_OAUTH_ERROR: Record<string, EsiaFailure> = {
  access_denied: 'consent_refused',
  invalid_client: 'client_rejected',
  unauthorized_client: 'client_rejected',
  invalid_grant: 'grant_invalid',
  server_error: 'unavailable',
  temporarily_unavailable: 'unavailable',
};

/** `ESIA-007053: …` → '007053' (libraries read the first 11 characters, §7). */
export function esiaCodeOf(description: string | undefined): string | undefined {
  return description ? /^\s*ESIA-(\d{6})/.exec(description)?.[1] : undefined;
}

/**
 * An error ESIA reported: on the callback (`error` + `error_description`) or in a token/REST
 * response (HTTP status + JSON body). The ESIA code wins over the OAuth error: ESIA sends
 * access_denied for 007053 too, which is not a consent refusal.
 */
export function translateEsiaError(input: { error?: string | undefined; description?: string | undefined; status?: number | undefined }): EsiaError {
  const code = esiaCodeOf(input.description);
  const where = input.status ? `HTTP ${input.status}` : 'callback';
  if (code && BY_ESIA_CODE[code]) return new EsiaError(BY_ESIA_CODE[code], `${where} ESIA-${code}`, code);
  if (input.status && input.status >= 500) return new EsiaError('unavailable', `${where}${code ? ` ESIA-${code}` : ''}`, code);
  if (code) return new EsiaError(input.status ? 'request_rejected' : 'unavailable', `${where} unknown ESIA-${code}`, code);
  const byError = input.error ? BY_OAUTH_ERROR[input.error] : undefined;
  if (byError === 'consent_refused' && input.status) return new EsiaError('request_rejected', `${where} access_denied`);
  if (byError) return new EsiaError(byError, `${where} ${input.error}`);
  if (input.status === 401 || input.status === 403) return new EsiaError('request_rejected', where);
  return new EsiaError(input.status ? 'request_rejected' : 'bad_response', `${where} ${input.error ? 'unknown error' : 'no error code'}`);
}
