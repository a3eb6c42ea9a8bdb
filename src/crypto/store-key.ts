import { createHmac, hkdfSync } from 'node:crypto';

/**
 * The id part of a state-store key built from personal data (an ESIA oid, a diary login, an
 * IP address): rate-limit and lockout counters. A plain SHA-256 of a 10-digit oid or an IPv4
 * address is undone by trying every value, so the key holds an HMAC-SHA256 under a key derived
 * from SNILS_HMAC_KEY (HKDF, its own label, so it never shares a key with the SNILS hashes).
 * Deterministic, so every instance counts on the same key.
 */
export type StoreKeyHash = (value: string) => string;

export function createStoreKeyHash(secret: string): StoreKeyHash {
  const key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'esia-broker/store-key/v1', 32));
  return (value) => createHmac('sha256', key).update(value, 'utf8').digest('base64url');
}
