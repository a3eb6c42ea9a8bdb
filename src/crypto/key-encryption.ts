import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Encryption at rest for secrets the broker must read back (signing keys' private parts):
 * AES-256-GCM under a key derived by HKDF-SHA256 from KEY_ENCRYPTION_KEY and a purpose label,
 * with the row's identity (e.g. the kid) as associated data so a ciphertext cannot be moved
 * to another row. Sealed form: `v1.<iv>.<ciphertext>.<tag>`, each base64url.
 */
export interface Sealer {
  seal(plaintext: string, context: string): string;
  /** Throws when the key is wrong, the text was altered or the context differs. */
  open(sealed: string, context: string): string;
}

const VERSION = 'v1';

export function createSealer(keyEncryptionKey: string, purpose: string): Sealer {
  if (keyEncryptionKey.length < 16) throw new Error('KEY_ENCRYPTION_KEY is too short');
  const key = Buffer.from(hkdfSync('sha256', keyEncryptionKey, 'esia-broker', `seal:${purpose}`, 32));
  return {
    seal(plaintext, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [VERSION, iv, body, cipher.getAuthTag()].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
    },
    open(sealed, context) {
      const [version, iv, body, tag] = sealed.split('.');
      if (version !== VERSION || !iv || body === undefined || !tag) throw new Error('not a sealed value');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}

/** A keyed one-way function for values derived from other values (e.g. refresh token successors). */
export function createKeyedHash(keyEncryptionKey: string, purpose: string): (value: string) => string {
  const key = Buffer.from(hkdfSync('sha256', keyEncryptionKey, 'esia-broker', `mac:${purpose}`, 32));
  return (value) => createHmac('sha256', key).update(value, 'utf8').digest('base64url');
}
