import t from 'tap';
import { discoveryDocument } from '../../../src/oidc/discovery.js';

/**
 * The discovery document against RFC 8414 §2 and OpenID Connect Discovery 1.0 §3, as a strict
 * relying party (Authlib's metadata validation) reads it. Returns every problem found.
 */
const REQUIRED = ['issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri', 'response_types_supported', 'subject_types_supported', 'id_token_signing_alg_values_supported'];
const URL_FIELDS = ['issuer', 'authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri', 'registration_endpoint', 'introspection_endpoint', 'revocation_endpoint', 'end_session_endpoint', 'pushed_authorization_request_endpoint', 'service_documentation', 'op_policy_uri', 'op_tos_uri'];
const BOOLEAN_FIELDS = ['claims_parameter_supported', 'request_parameter_supported', 'request_uri_parameter_supported', 'require_request_uri_registration', 'authorization_response_iss_parameter_supported', 'frontchannel_logout_supported', 'frontchannel_logout_session_supported', 'backchannel_logout_supported', 'backchannel_logout_session_supported', 'require_pushed_authorization_requests'];
const KNOWN = new Set([
  ...REQUIRED, ...URL_FIELDS, ...BOOLEAN_FIELDS,
  'scopes_supported', 'response_modes_supported', 'grant_types_supported', 'acr_values_supported', 'id_token_encryption_alg_values_supported',
  'userinfo_signing_alg_values_supported', 'request_object_signing_alg_values_supported', 'token_endpoint_auth_methods_supported',
  'token_endpoint_auth_signing_alg_values_supported', 'display_values_supported', 'claim_types_supported', 'claims_supported', 'claims_locales_supported',
  'ui_locales_supported', 'introspection_endpoint_auth_methods_supported', 'introspection_endpoint_auth_signing_alg_values_supported',
  'revocation_endpoint_auth_methods_supported', 'revocation_endpoint_auth_signing_alg_values_supported', 'code_challenge_methods_supported', 'prompt_values_supported', 'dpop_signing_alg_values_supported',
]);
const ENDPOINTS_WITH_AUTH = ['token_endpoint', 'introspection_endpoint', 'revocation_endpoint'];
const JWT_AUTH = ['private_key_jwt', 'client_secret_jwt'];

function validate(doc: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const field of REQUIRED) if (doc[field] === undefined) problems.push(`${field} is required`);
  for (const field of Object.keys(doc)) if (!KNOWN.has(field)) problems.push(`${field} is not a registered metadata name`);
  for (const field of URL_FIELDS) {
    if (doc[field] === undefined) continue;
    const problem = urlProblem(doc[field], field === 'issuer');
    if (problem) problems.push(`${field}: ${problem}`);
  }
  for (const field of BOOLEAN_FIELDS) if (doc[field] !== undefined && typeof doc[field] !== 'boolean') problems.push(`${field} must be a boolean`);
  for (const [field, value] of Object.entries(doc)) {
    if (!field.endsWith('_supported') || BOOLEAN_FIELDS.includes(field)) continue;
    if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && v.length > 0)) problems.push(`${field} must be a non-empty array of strings`);
    else if (new Set(value).size !== value.length) problems.push(`${field} repeats a value`);
    // RFC 8414 §2: "none" MUST NOT be used for endpoint authentication; nor do we sign with it.
    if (field.endsWith('_signing_alg_values_supported') && Array.isArray(value) && value.includes('none')) problems.push(`${field} lists none`);
  }
  for (const endpoint of ENDPOINTS_WITH_AUTH) {
    if (doc[endpoint] === undefined) continue;
    const methods = doc[`${endpoint}_auth_methods_supported`];
    if (!Array.isArray(methods)) {
      problems.push(`${endpoint}_auth_methods_supported is missing (the default client_secret_basic would be wrong)`);
      continue;
    }
    if (methods.some((m) => JWT_AUTH.includes(m as string)) && doc[`${endpoint}_auth_signing_alg_values_supported`] === undefined) {
      problems.push(`${endpoint}_auth_signing_alg_values_supported is required when ${endpoint}_auth_methods_supported lists a JWT method`);
    }
  }
  // OIDC Discovery §3: RS256 MUST be included; response types must include code for a code flow.
  if (Array.isArray(doc['id_token_signing_alg_values_supported']) && !doc['id_token_signing_alg_values_supported'].includes('RS256')) problems.push('id_token_signing_alg_values_supported must include RS256');
  if (Array.isArray(doc['scopes_supported']) && !doc['scopes_supported'].includes('openid')) problems.push('scopes_supported must include openid');
  if (Array.isArray(doc['response_types_supported']) && !doc['response_types_supported'].includes('code')) problems.push('response_types_supported lacks code');
  const grants = doc['grant_types_supported'];
  if (Array.isArray(grants) && Array.isArray(doc['response_types_supported']) && doc['response_types_supported'].includes('code') && !grants.includes('authorization_code')) problems.push('code response type without the authorization_code grant');
  const pkce = doc['code_challenge_methods_supported'];
  if (Array.isArray(pkce) && pkce.includes('plain')) problems.push('PKCE plain offered (RFC 9700 §2.1.1)');
  if (Array.isArray(doc['subject_types_supported']) && !doc['subject_types_supported'].every((v) => v === 'public' || v === 'pairwise')) problems.push('subject_types_supported holds an unknown type');
  return problems;
}

/** RFC 8414 §2: https, no query or fragment in the issuer; http only for a local development host. */
function urlProblem(value: unknown, isIssuer: boolean): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'not an absolute URL';
  }
  const local = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local)) return 'must use https';
  if (url.hash || value.includes('#')) return 'has a fragment';
  if (isIssuer && (url.search || value.includes('?'))) return 'issuer has a query';
  if (isIssuer && value.endsWith('/')) return 'issuer ends with / (relying parties compare it byte for byte)';
  return undefined;
}

t.test('the discovery document passes RFC 8414 §2 and OIDC Discovery §3', async (t) => {
  for (const issuer of ['https://id.edu.example.ru', 'http://127.0.0.1:8080', 'https://edu.example.ru/esia-broker']) {
    const doc = discoveryDocument(issuer);
    t.same(validate(doc), [], issuer);
    t.equal(doc['issuer'], issuer);
    for (const field of URL_FIELDS) {
      if (field !== 'issuer' && typeof doc[field] === 'string') t.ok((doc[field] as string).startsWith(`${issuer}/`), `${field} lives under the issuer`);
    }
  }
});

t.test('the validator itself catches what it is meant to', async (t) => {
  const good = discoveryDocument('https://id.example.ru');
  const broken = (change: Record<string, unknown>) => validate({ ...good, ...change });
  t.match(broken({ revocation_endpoint_auth_signing_alg_values_supported: undefined }).join(), /revocation_endpoint_auth_signing_alg_values_supported is required/);
  t.match(broken({ token_endpoint_auth_signing_alg_values_supported: ['RS256', 'none'] }).join(), /lists none/);
  t.match(broken({ issuer: 'http://id.example.ru' }).join(), /issuer: must use https/);
  t.match(broken({ issuer: 'https://id.example.ru/?x=1' }).join(), /query/);
  t.match(broken({ jwks_uri: undefined }).join(), /jwks_uri is required/);
  t.match(broken({ claims_parameter_supported: 'false' }).join(), /must be a boolean/);
  t.match(broken({ scopes_supported: [] }).join(), /non-empty array/);
  t.match(broken({ id_token_signing_alg_values_supported: ['ES256'] }).join(), /RS256/);
  t.match(broken({ code_challenge_methods_supported: ['S256', 'plain'] }).join(), /plain/);
  t.match(broken({ introspection_endpoint_auth_method_supported: ['none'] }).join(), /not a registered metadata name/);
});
