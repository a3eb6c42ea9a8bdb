/**
 * ESIA's error codes as the emulator answers them (docs/esia-protocol.md §9): `error` is the OAuth code,
 * `error_description` starts with `ESIA-NNNNNN:` as the libraries expect.
 */
export const ESIA_ERRORS = {
  '007002': { error: 'invalid_client', text: 'The client certificate does not match the mnemonic, or no certificate is registered' },
  '007003': { error: 'invalid_request', text: 'The request contains a missing, invalid or duplicated parameter' },
  '007004': { error: 'access_denied', text: 'The resource owner or authorization server denied the request' },
  '007005': { error: 'unauthorized_client', text: 'The client is not authorized to request an authorization code using this method' },
  '007006': { error: 'invalid_scope', text: 'The requested scope is invalid, unknown, or malformed' },
  '007007': { error: 'server_error', text: 'The authorization server encountered an unexpected condition' },
  '007008': { error: 'temporarily_unavailable', text: 'The authorization server is currently unable to handle the request due to a temporary overloading or maintenance' },
  '007009': { error: 'unsupported_grant_type', text: 'The authorization grant type is not supported by the authorization server' },
  '007011': { error: 'invalid_grant', text: 'The provided authorization grant is invalid, expired, revoked, or was issued to another client' },
  '007012': { error: 'unsupported_response_type', text: 'The authorization server does not support obtaining an authorization code using this method' },
  '007014': { error: 'invalid_request', text: 'The request doesn`t contain the mandatory parameter' },
  '007015': { error: 'invalid_request', text: 'Неверное время запроса' },
  '007019': { error: 'access_denied', text: 'OAuthErrorEnum.noGrants' },
  '007023': { error: 'invalid_request', text: 'The redirect_uri is not among the addresses registered for the system' },
  '007053': { error: 'access_denied', text: 'OAuthErrorEnum.clientSecretWrong' },
  '007055': { error: 'access_denied', text: 'Вход в систему осуществляется с неподтвержденной учетной записью' },
} as const;

export type EsiaErrorCode = keyof typeof ESIA_ERRORS;

export interface EsiaErrorBody {
  error: string;
  error_description: string;
  state?: string;
}

/** detail: e.g. the missing parameters, shown in brackets as ESIA does (ekapusta/oauth2-esia issue 23). */
export function esiaError(code: EsiaErrorCode, detail?: string, state?: string): EsiaErrorBody {
  const entry = ESIA_ERRORS[code];
  const description = `ESIA-${code}: ${entry.text}${detail ? ` [${detail}]` : ''}.`;
  return { error: entry.error, error_description: description, ...(state ? { state } : {}) };
}

export class EsiaFault extends Error {
  constructor(
    readonly code: EsiaErrorCode,
    readonly detail?: string,
  ) {
    super(`ESIA-${code}`);
  }
}
