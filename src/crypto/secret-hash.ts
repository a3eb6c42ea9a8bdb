import { createHash, timingSafeEqual } from 'node:crypto';

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

/** Constant-time check of a presented secret against its stored hash. */
export function verifyClientSecret(presented: string, storedHash: string): boolean {
  if (!isClientSecretHash(storedHash)) return false;
  const expected = Buffer.from(storedHash.slice(PREFIX.length), 'base64url');
  const actual = createHash('sha256').update(presented, 'utf8').digest();
  return timingSafeEqual(expected, actual);
}
