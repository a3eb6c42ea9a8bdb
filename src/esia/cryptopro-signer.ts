import { readFile } from 'node:fs/promises';
import type { GostBits } from './certificate.js';
import { runProcess, withTempFiles } from './openssl.js';
import { SignerError, type EsiaSigner } from './signer.js';

/**
 * CryptoPro CSP through `csptest` (docs/esia-protocol.md §4.3: ilimurzin and fr05t1k CliCryptoProSigner,
 * ofstudio local-cp-gost.go). CryptoPro writes the signature little-endian; ESIA wants it
 * «развернуть зеркально, побайтово», so the bytes are reversed. csptest has no way to take the
 * container password other than its command line (`-password`); prefer a container without one.
 */
export function createCryptoproSigner(options: {
  bin: string;
  container: string;
  password: string | undefined;
  timeoutMs: number;
  certificateHash: () => Promise<string>;
  /** GOST12_512 for a 512-bit key in the container, GOST12_256 otherwise. */
  bits?: GostBits;
}): EsiaSigner {
  const algorithm = options.bits === 512 ? 'GOST12_512' : 'GOST12_256';
  return {
    kind: 'cryptopro',
    async signRaw(message, signal) {
      return withTempFiles({ 'msg.bin': message, 'sig.bin': Buffer.alloc(0) }, async (p) => {
        const args = ['-keyset', '-sign', algorithm, '-container', options.container, '-keytype', 'exchange', '-in', p['msg.bin'], '-out', p['sig.bin']];
        if (options.password) args.push('-password', options.password);
        await runProcess(options.bin, args, { timeoutMs: options.timeoutMs, signal });
        return reverseBytes(await readFile(p['sig.bin']));
      });
    },
    async signCms() {
      throw new SignerError('the cryptopro signer makes raw signatures only (ESIA_PROTOCOL=v2)');
    },
    certificateHash: options.certificateHash,
  };
}

/** CryptoPro (little-endian) ↔ OpenSSL/ESIA (big-endian) signature byte order. */
export function reverseBytes(bytes: Buffer): Buffer {
  return Buffer.from(bytes).reverse();
}
