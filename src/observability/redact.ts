/**
 * Personal data and credentials never reach a log line. Fields are removed by name at any
 * depth, and anything shaped like a SNILS is masked inside strings as a second line of defence.
 */
const SENSITIVE_KEYS = new Set(
  [
    'snils', 'password', 'passwd', 'secret', 'client_secret', 'clientSecret',
    'lastName', 'firstName', 'middleName', 'last_name', 'first_name', 'middle_name',
    'family_name', 'given_name', 'fullName', 'full_name', 'name', 'birthDate', 'birth_date', 'birthdate',
    'email', 'mobile', 'phone', 'login', 'username',
    'code', 'code_verifier', 'codeVerifier', 'token', 'access_token', 'accessToken', 'refresh_token',
    'refreshToken', 'id_token', 'idToken', 'id_token_hint', 'assertion', 'client_assertion',
    'authorization', 'cookie', 'set-cookie', 'nonce',
  ].map((key) => key.toLowerCase()),
);

export const REDACTED = '[redacted]';

// 123-456-789 01, 123 456 789 01 or 11 bare digits.
const SNILS_PATTERN = /\b\d{3}[- ]?\d{3}[- ]?\d{3}[- ]?\d{2}\b/g;

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEYS.has(key.toLowerCase());
}

export function scrubString(value: string): string {
  return value.replace(SNILS_PATTERN, REDACTED);
}

export function scrub(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[depth]';
  if (typeof value === 'string') return scrubString(value);
  if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1));
  if (value instanceof Error) return scrubError(value);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      out[key] = isSensitiveKey(key) ? REDACTED : scrub(inner, depth + 1);
    }
    return out;
  }
  return value;
}

// Class instances (requests, replies) are left to pino's serializers, which run after this.
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (!value || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function scrubError(error: Error): Record<string, unknown> {
  const code = (error as { code?: unknown }).code;
  return {
    type: error.name,
    message: scrubString(error.message),
    ...(code !== undefined ? { code } : {}),
    stack: error.stack ? scrubString(error.stack) : undefined,
  };
}

// Query parameters whose values are safe and useful in logs; every other value is masked.
const SAFE_QUERY_PARAMS = new Set(['client_id', 'response_type', 'scope', 'prompt', 'region', 'error', 'format', 'max_age', 'resource']);

/**
 * A URL for logs: the path, and query values only for parameters known to be harmless. The
 * request serializer's output never passes through scrub(), so a SNILS anywhere else in the URL
 * (a path segment, a parameter name, a harmless parameter's value; percent-encoded or not) masks
 * that part here: the fuzz suite sent `?112-233-445%2095=…` and `scope=112-233-445+95`.
 */
export function scrubUrl(url: string): string {
  const at = url.indexOf('?');
  const path = (at < 0 ? url : url.slice(0, at)).split('/').map((segment) => (holdsSnils(decoded(segment)) ? REDACTED : segment)).join('/');
  if (at < 0) return path;
  const params = new URLSearchParams(url.slice(at + 1));
  const parts: string[] = [];
  for (const [key, value] of params) {
    const shown = SAFE_QUERY_PARAMS.has(key) && !holdsSnils(value) ? encodeURIComponent(value) : REDACTED;
    parts.push(`${holdsSnils(key) ? REDACTED : key}=${shown}`);
  }
  return `${path}?${parts.join('&')}`;
}

const holdsSnils = (text: string) => scrubString(text) !== text;

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
