import type { EsiaSignerConfig } from '../config/esia.js';

/**
 * The one interface every signer implements (docs/esia-protocol.md §4.3). The client never knows
 * where the key lives: a PEM file for openssl, a CryptoPro container, or a remote HSM service.
 * `signal` is the caller's deadline: when it aborts, the signer stops waiting (for a slot, a
 * process, a remote answer) and rejects, so signing never outlives ESIA_TIMEOUT_MS.
 */
export interface EsiaSigner {
  readonly kind: EsiaSignerConfig['kind'];
  /** Raw GOST R 34.10-2012 signature in OpenSSL byte order (v2/v3): 64 bytes (256-bit key, Streebog-256) or 128 (512-bit, Streebog-512). */
  signRaw(message: Buffer, signal?: AbortSignal): Promise<Buffer>;
  /** CMS/PKCS#7 detached SignedData, DER (legacy v1). */
  signCms(message: Buffer, signal?: AbortSignal): Promise<Buffer>;
  /** client_certificate_hash: 64 uppercase hex characters, 128 for a 512-bit certificate. */
  certificateHash(): Promise<string>;
}

export class SignerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignerError';
  }
}

