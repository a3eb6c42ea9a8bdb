import { gostDigest, type GostBits } from './certificate.js';
import type { Openssl } from './openssl.js';
import type { EsiaSigner } from './signer.js';

/**
 * A PEM key on disk, signed through `openssl` with the gost engine (docs/esia-protocol.md §4.3, ilimurzin's
 * CliOpenSSLSigner). The output is used as is: OpenSSL byte order is what ESIA expects.
 * A 512-bit key signs with Streebog-512 (-md_gost12_512): the digest follows the key size.
 * The passphrase travels in the child's environment (`-passin env:`), never on the command line.
 */
/** A GOST key in a PEM file and its certificate: what the openssl and engine signers both take. */
export interface KeyFileSignerOptions {
  openssl: Openssl;
  keyFile: string;
  certFile: string;
  passphrase: string | undefined;
  certificateHash: () => Promise<string>;
  bits?: GostBits;
}

export function createOpensslSigner(options: KeyFileSignerOptions): EsiaSigner {
  const digest = gostDigest(options.bits ?? 256);
  const pass = options.passphrase ? ['-passin', 'env:ESIA_KEY_PASSPHRASE'] : [];
  const env = options.passphrase ? { ESIA_KEY_PASSPHRASE: options.passphrase } : undefined;
  const run = (args: string[], input: Buffer, signal: AbortSignal | undefined) => options.openssl.run(args, { input, signal, ...(env ? { env } : {}) });
  return {
    kind: 'openssl',
    signRaw: (message, signal) => run(['dgst', `-${digest}`, '-sign', options.keyFile, ...pass], message, signal),
    // v1: detached (the cms default), binary input, no signed attributes, as fr05t1k/ekapusta do.
    signCms: (message, signal) =>
      run(['cms', '-sign', '-binary', '-noattr', '-md', digest, '-outform', 'DER', '-signer', options.certFile, '-inkey', options.keyFile, ...pass], message, signal),
    certificateHash: options.certificateHash,
  };
}
