import { randomBytes, randomUUID, timingSafeEqual, createHash } from 'node:crypto';

/** The one random source: every id, token, state and nonce comes from here. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function randomId(): string {
  return randomUUID();
}

/** Constant-time comparison of two strings; unequal lengths still cost one comparison. */
export function safeEqual(a: string, b: string): boolean {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right) && a.length === b.length;
}

export function sha256Base64url(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}
