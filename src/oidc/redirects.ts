import type { CatalogueCode } from '../policy/reason-guide.js';
/**
 * URLs back to the client. Only ever called with a redirect_uri already matched against the
 * client's registered ones (RFC 6749 §4.1.2.1). Every response carries `iss` (RFC 9207).
 */
export function clientRedirect(redirectUri: string, params: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined) url.searchParams.set(key, value);
  }
  return url.toString();
}

export function codeRedirect(issuer: string, redirectUri: string, code: string, state: string | undefined): string {
  return clientRedirect(redirectUri, { code, state, iss: issuer });
}

/**
 * The `iss` an error redirect carries: ours, unless the client turned it off. mod_auth_openidc
 * takes any callback carrying `iss` for an IdP-discovery answer before it reads `error`, so
 * every refusal would end on its generic page (Keycloak has the same per-client switch).
 */
export function errorIssuer(issuer: string, client: { authorizationErrorIss?: boolean | undefined } | null | undefined): string | undefined {
  return client?.authorizationErrorIss === false ? undefined : issuer;
}

/** `issuer` undefined: no `iss` (see errorIssuer). */
export function errorRedirect(
  issuer: string | undefined,
  redirectUri: string,
  error: { error: string; description: string },
  state: string | undefined,
): string {
  return clientRedirect(redirectUri, { error: error.error, error_description: error.description, state, iss: issuer });
}

/** Back to the client when our own storage is down: try again later (RFC 6749 §4.1.2.1). */
export function unavailableRedirect(issuer: string | undefined, redirectUri: string, state: string | undefined): string {
  return errorRedirect(issuer, redirectUri, { error: 'temporarily_unavailable', description: 'the service is temporarily unavailable, try again shortly' }, state);
}

/**
 * error_description of a refused login: the reason code first, so a diary frontend can tell
 * region_not_enabled (show the password form) from consent_refused without parsing prose.
 */
export function failureDescription(failure: { reason: CatalogueCode; description: string }): string {
  return `${failure.reason}: ${failure.description}`;
}
