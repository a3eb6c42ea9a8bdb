import type { StoreKeyHash } from '../crypto/store-key.js';

/**
 * State-store keys of the accounts module. Logins, ESIA oids and IP addresses are personal data:
 * keys carry only their keyed hash (crypto/store-key.ts), so neither Redis nor its dumps hold
 * them in clear or in a form one can reverse by trying every value. 'esia-day' is
 * the per-ESIA-account daily cap (rate-limit.ts); the others count in the short window.
 *
 * One attempt counts on all four at once in one atomic script, so they share the hash tag
 * `{accounts:link-failures}` (one Redis Cluster slot). They cannot be tagged per person: a login
 * counter is shared by every ESIA account that tries it. Manual links are rare enough for one slot.
 */
export type LinkCounter = 'login' | 'esia' | 'esia-day' | 'ip';

export function linkFailuresKey(storeKey: StoreKeyHash, counter: LinkCounter, id: string): string {
  return `{accounts:link-failures}:${counter}:${storeKey(id)}`;
}

/** Diary logins compare without case or surrounding spaces, so variants share one counter. */
export function loginCounterId(login: string): string {
  return login.normalize('NFC').trim().toLowerCase();
}
