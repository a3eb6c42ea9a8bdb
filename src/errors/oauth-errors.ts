/**
 * One class per OAuth/OIDC error code (RFC 6749 §4.1.2.1, §5.2; OIDC Core §3.1.2.6;
 * RFC 6750 §3.1; RFC 8707 §2). Each carries its HTTP status; the serializer in http/
 * is the only place that turns them into a response.
 */
export abstract class OAuthError extends Error {
  abstract readonly error: string;
  readonly status: number = 400;
  /** Whether error_description may be shown to the client (never for server_error). */
  readonly expose: boolean = true;

  /** `logDetail`: why, for the operator's log only (e.g. which assertion check failed); never sent. */
  constructor(
    readonly description: string,
    readonly logDetail?: string,
  ) {
    super(description);
    this.name = new.target.name;
  }
}

export class InvalidRequest extends OAuthError {
  readonly error = 'invalid_request';
}
/** RFC 9101 §7, RFC 9126 §4: the request_uri is unknown, expired, used, or another client's. */
export class InvalidRequestUri extends OAuthError {
  readonly error = 'invalid_request_uri';
}
export class InvalidClient extends OAuthError {
  readonly error = 'invalid_client';
  override readonly status = 401;
}
export class InvalidGrant extends OAuthError {
  readonly error = 'invalid_grant';
}
export class UnauthorizedClient extends OAuthError {
  readonly error = 'unauthorized_client';
}
export class UnsupportedGrantType extends OAuthError {
  readonly error = 'unsupported_grant_type';
}
export class UnsupportedResponseType extends OAuthError {
  readonly error = 'unsupported_response_type';
}
export class InvalidScope extends OAuthError {
  readonly error = 'invalid_scope';
}
export class InvalidTarget extends OAuthError {
  readonly error = 'invalid_target';
}
export class AccessDenied extends OAuthError {
  readonly error = 'access_denied';
  override readonly status = 403;
}
export class LoginRequired extends OAuthError {
  readonly error = 'login_required';
}
export class InteractionRequired extends OAuthError {
  readonly error = 'interaction_required';
}
export class AccountSelectionRequired extends OAuthError {
  readonly error = 'account_selection_required';
}
export class InvalidToken extends OAuthError {
  readonly error = 'invalid_token';
  override readonly status = 401;
}
/** RFC 6750 §3.1: the token lacks the scope the resource needs. */
export class InsufficientScope extends OAuthError {
  readonly error = 'insufficient_scope';
  override readonly status = 403;
}
export class InvalidRedirectUri extends OAuthError {
  readonly error = 'invalid_redirect_uri';
}
/**
 * RFC 9449 §5, §7.1: a DPoP proof is missing, malformed, replayed or for another request.
 * 400 at /token; a protected resource (/userinfo) answers 401.
 */
export class InvalidDpopProof extends OAuthError {
  readonly error = 'invalid_dpop_proof';
  override readonly status: number;
  constructor(description: string, status = 400) {
    super(description);
    this.status = status;
  }
}
/** RFC 9449 §8, §9: retry with the nonce sent in the DPoP-Nonce header. */
export class UseDpopNonce extends OAuthError {
  readonly error = 'use_dpop_nonce';
  override readonly status: number;
  constructor(
    readonly nonce: string,
    status = 400,
  ) {
    super('the DPoP proof must carry the nonce given in the DPoP-Nonce header');
    this.status = status;
  }
}
export class SlowDown extends OAuthError {
  readonly error = 'slow_down';
  override readonly status = 429;
}
export class TemporarilyUnavailable extends OAuthError {
  readonly error = 'temporarily_unavailable';
  override readonly status = 503;
}
export class ServerError extends OAuthError {
  readonly error = 'server_error';
  override readonly status = 500;
  override readonly expose = false;
}

export interface OAuthErrorBody {
  error: string;
  error_description?: string;
}

export function oauthErrorBody(error: OAuthError): OAuthErrorBody {
  return error.expose ? { error: error.error, error_description: error.description } : { error: error.error };
}
