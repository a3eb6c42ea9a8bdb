import type { EsiaSignerConfig } from '../config/esia.js';

/**
 * The one interface every signer implements (PROTOCOL.md §2.4, §3). The client never knows
 * where the key lives: a PEM file for openssl, a CryptoPro container, or a remote HSM service.
 */
export interface EsiaSigner {
  readonly kind: EsiaSignerConfig['kind'];
  /** Raw GOST R 34.10-2012-256 / Streebog-256 signature: 64 bytes in OpenSSL byte order (v2/v3). */
  signRaw(message: Buffer): Promise<Buffer>;
  /** CMS/PKCS#7 detached SignedData, DER (legacy v1). */
  signCms(message: Buffer): Promise<Buffer>;
  /** client_certificate_hash: 64 uppercase hex characters. */
  certificateHash(): Promise<string>;
}

export class SignerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignerError';
  }
}

