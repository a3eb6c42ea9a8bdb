/**
 * ESIA wire details shared by the client and the emulator (docs/esia-protocol.md §2–4): endpoint
 * paths, the strings signed into client_secret, the timestamp format and signature encodings.
 * Pure functions only.
 */

export type EsiaProtocol = 'v1' | 'v2';

export const ENDPOINTS = {
  v1: { authorize: '/aas/oauth2/ac', token: '/aas/oauth2/te' },
  v2: { authorize: '/aas/oauth2/v2/ac', token: '/aas/oauth2/v3/te' },
  logout: '/idp/ext/Logout',
  person: (oid: string) => `/rs/prns/${encodeURIComponent(oid)}`,
} as const;

export interface SignedParts {
  clientId: string;
  scope: string;
  /** Organisation scopes (v2 only); empty unless used. */
  scopeOrg?: string;
  timestamp: string;
  state: string;
  redirectUri: string;
  /** Token requests only. */
  code?: string;
}

/** v1 /ac and /te: scope + timestamp + client_id + state, no separators (§2.2, MR quote). */
export function v1SignedString(p: Pick<SignedParts, 'scope' | 'timestamp' | 'clientId' | 'state'>): string {
  return p.scope + p.timestamp + p.clientId + p.state;
}

/** v2 /v2/ac: client_id + scope + scope_org + timestamp + state + redirect_uri (§2.2). */
export function v2AuthorizeString(p: SignedParts): string {
  return p.clientId + p.scope + (p.scopeOrg ?? '') + p.timestamp + p.state + p.redirectUri;
}

/** v3 /v3/te, grant_type=authorization_code: the v2 string + code (§2.2). */
export function v3TokenString(p: SignedParts & { code: string }): string {
  return v2AuthorizeString(p) + p.code;
}

/**
 * v3 /v3/te, grant_type=refresh_token: the sources disagree (§2.2 [?]), so both are offered.
 * 'ilimurzin': client_id + scope + scope_org + timestamp + state + redirect_uri;
 * 'aisgorod': client_id + scope + timestamp + state + refresh_token.
 */
export type RefreshStringVariant = 'ilimurzin' | 'aisgorod';
export function v3RefreshString(variant: RefreshStringVariant, p: SignedParts & { refreshToken: string }): string {
  return variant === 'ilimurzin' ? v2AuthorizeString(p) : p.clientId + p.scope + p.timestamp + p.state + p.refreshToken;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `yyyy.MM.dd HH:mm:ss +0000` in UTC (§2.3; any offset is accepted, UTC avoids host time zones). */
export function esiaTimestamp(at: Date): string {
  return (
    `${at.getUTCFullYear()}.${pad(at.getUTCMonth() + 1)}.${pad(at.getUTCDate())} ` +
    `${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())} +0000`
  );
}

const TIMESTAMP = /^(\d{4})\.(\d{2})\.(\d{2}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/;

/** Parses `yyyy.MM.dd HH:mm:ss ±hhmm` (any offset) to epoch ms; undefined when malformed. */
export function parseEsiaTimestamp(value: string): number | undefined {
  const m = TIMESTAMP.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s, oh, om] = [1, 2, 3, 4, 5, 6, 8, 9].map((i) => Number(m[i])) as [number, number, number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59 || oh > 14 || om > 59) return undefined;
  const utc = Date.UTC(y, mo - 1, d, h, mi, s);
  if (new Date(utc).getUTCDate() !== d) return undefined; // 31.02 and the like
  return utc - (oh * 60 + om) * 60_000 * (m[7] === '+' ? 1 : -1);
}

/**
 * How client_secret is encoded [?] (§2.4): the MR says base64 url safe; prod-tested PHP strips
 * the padding, the Go library keeps it, the C# one sends standard base64. Default: no padding.
 */
export type SecretEncoding = 'base64url' | 'base64url-padded' | 'base64';

export function encodeSignature(signature: Buffer, encoding: SecretEncoding = 'base64url'): string {
  if (encoding === 'base64') return signature.toString('base64');
  const url = signature.toString('base64url');
  return encoding === 'base64url' ? url : url + '='.repeat((4 - (url.length % 4)) % 4);
}

/** Accepts base64url with or without padding and standard base64 (what ESIA seems to tolerate). */
export function decodeSignature(value: string): Buffer | undefined {
  const normalised = value.trim().replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/]*$/.test(normalised) || normalised.length % 4 === 1) return undefined;
  return Buffer.from(normalised, 'base64');
}

/** The MR requires a UUID state (§2.1). */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** ESIA issuers are http:// with a trailing slash whatever the scheme of the base URL (§1). */
export function issuerFor(esiaUrl: string): string {
  const url = new URL(esiaUrl);
  return `http://${url.host}/`;
}
