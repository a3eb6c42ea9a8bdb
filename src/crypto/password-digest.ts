import { createHmac, hkdfSync } from 'node:crypto';

/**
 * Telling whether a directory file carries the same temporary password as last time without
 * running scrypt again: HMAC-SHA256 of (profile id, password) under a key derived from
 * SNILS_HMAC_KEY (HKDF, its own label, so the two uses never share a key). The id in the
 * input keeps equal passwords of two profiles from having equal digests.
 *
 * Trade-off (docs/admin.md): whoever holds both the database and SNILS_HMAC_KEY can test
 * guesses of an imported password at HMAC speed, as they already can for SNILS. The scrypt
 * hash stays what logins verify.
 */
export type PasswordDigester = (profileId: string, password: string) => string;

export function createPasswordDigester(secret: string): PasswordDigester {
  const key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'esia-broker/profile-import/password-digest/v1', 32));
  return (profileId, password) => createHmac('sha256', key).update(profileId).update('\0').update(password.normalize('NFC')).digest('base64url');
}
