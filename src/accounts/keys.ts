import { sha256Base64url } from '../crypto/random.js';

/**
 * State-store keys of the accounts module. Logins and IP addresses are personal data: keys
 * carry only their SHA-256, so neither Redis nor its dumps hold them in clear. 'esia-day' is
 * the per-ESIA-account daily cap (rate-limit.ts); the others count in the short window.
 *
 * One attempt counts on all four at once in one atomic script, so they share the hash tag
 * `{accounts:link-failures}` (one Redis Cluster slot). They cannot be tagged per person: a login
 * counter is shared by every ESIA account that tries it. Manual links are rare enough for one slot.
 */
export type LinkCounter = 'login' | 'esia' | 'esia-day' | 'ip';

export function linkFailuresKey(counter: LinkCounter, id: string): string {
  return `{accounts:link-failures}:${counter}:${sha256Base64url(id)}`;
}

/** Diary logins compare without case or surrounding spaces, so variants share one counter. */
export function loginCounterId(login: string): string {
  return login.normalize('NFC').trim().toLowerCase();
}
