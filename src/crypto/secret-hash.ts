import { createHash, hash, timingSafeEqual } from 'node:crypto';

/**
 * Client secrets are stored as SHA-256, not scrypt: the broker generates them (32 random
 * bytes, 256 bits), so no dictionary or brute force reaches them through a fast hash, and a
 * fast hash keeps /token cheap instead of handing attackers a CPU amplifier (every failed
 * scrypt check costs the server milliseconds and megabytes). Secrets shorter than
 * MIN_CLIENT_SECRET_LENGTH are refused wherever they are set.
 */
export const MIN_CLIENT_SECRET_LENGTH = 32;
const PREFIX = 'sha256:';

export function hashClientSecret(secret: string): string {
  return PREFIX + createHash('sha256').update(secret, 'utf8').digest('base64url');
}

export function isClientSecretHash(value: string): boolean {
  return /^sha256:[A-Za-z0-9_-]{43}$/.test(value);
}

/**
 * Stored hashes decoded once (a client's hash is checked on every call it makes), valid ones
 * only; bounded, the oldest going first, like any cache keyed by what the store holds.
 */
const decodedHashes = new Map<string, Buffer>();
const MAX_DECODED_HASHES = 10_000;

function decodedHash(storedHash: string): Buffer | undefined {
  let expected = decodedHashes.get(storedHash);
  if (expected) return expected;
  if (!isClientSecretHash(storedHash)) return undefined;
  expected = Buffer.from(storedHash.slice(PREFIX.length), 'base64url');
  if (decodedHashes.size >= MAX_DECODED_HASHES) decodedHashes.delete(decodedHashes.keys().next().value as string);
  decodedHashes.set(storedHash, expected);
  return expected;
}

/** Constant-time check of a presented secret against its stored hash. */
export function verifyClientSecret(presented: string, storedHash: string): boolean {
  const expected = decodedHash(storedHash);
  if (!expected) return false;
  // One-shot hash: no Hash object per call (the largest cost of this check under load).
  return timingSafeEqual(expected, hash('sha256', presented, 'buffer'));
}
