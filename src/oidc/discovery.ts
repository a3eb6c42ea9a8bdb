import { SIGNING_ALGS } from '../crypto/jwt.js';
import { ACR_VALUES, CLAIMS_BY_SCOPE } from './claims.js';
import { CLIENT_ASSERTION_ALGS, CLIENT_AUTH_METHODS, INTROSPECTION_AUTH_METHODS, SUPPORTED_SCOPES } from './clients.js';
import { endpoints } from './context.js';
import { DPOP_ALGS } from './dpop.js';

/** OpenID Provider Metadata (OIDC Discovery §3, RFC 8414, RFC 9207). */
export function discoveryDocument(issuer: string): Record<string, unknown> {
  const urls = endpoints(issuer);
  return {
    issuer,
    authorization_endpoint: urls.authorization,
    // RFC 9126 §5: PAR is offered to every client; a client may be registered to require it.
    pushed_authorization_request_endpoint: urls.pushedAuthorization,
    require_pushed_authorization_requests: false,
    token_endpoint: urls.token,
    userinfo_endpoint: urls.userinfo,
    jwks_uri: urls.jwks,
    introspection_endpoint: urls.introspection,
    revocation_endpoint: urls.revocation,
    end_session_endpoint: urls.endSession,
    scopes_supported: [...SUPPORTED_SCOPES],
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [...SIGNING_ALGS],
    token_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    // RFC 8414 §2: each endpoint listing private_key_jwt names the algorithms it verifies.
    token_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGS],
    introspection_endpoint_auth_methods_supported: [...INTROSPECTION_AUTH_METHODS],
    introspection_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGS],
    revocation_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    revocation_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGS],
    code_challenge_methods_supported: ['S256'],
    // RFC 9449 §5.1: /token binds tokens to a DPoP key proven with one of these.
    dpop_signing_alg_values_supported: [...DPOP_ALGS],
    acr_values_supported: [...ACR_VALUES],
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'acr', 'amr', 'azp', 'sid', ...Object.values(CLAIMS_BY_SCOPE).flat()],
    claims_parameter_supported: false,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    authorization_response_iss_parameter_supported: true,
    // OIDC Back-Channel Logout 1.0 §2.1: logout tokens carry sid, and so do id_tokens.
    backchannel_logout_supported: true,
    backchannel_logout_session_supported: true,
    prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
    ui_locales_supported: ['ru'],
  };
}
