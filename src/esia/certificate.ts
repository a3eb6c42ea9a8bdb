import { X509Certificate } from 'node:crypto';
import type { Openssl } from './openssl.js';

/** Certificates as ESIA handles them: PEM bundles, DER bytes, GOST-256 hashes. */

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every certificate in a PEM bundle (ESIA rotates its keys: keep old and new side by side). */
export function splitPemCertificates(bundle: string): string[] {
  return [...bundle.matchAll(PEM_BLOCK)].map((m) => `${m[0]}\n`);
}

export function pemToDer(pem: string): Buffer {
  const body = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  return Buffer.from(body, 'base64');
}

/** 'rsa' when Node can read the key, 'gost' for GOST R 34.10-2012 (Node has no GOST support). */
export function certificateKeyType(pem: string): 'rsa' | 'gost' | 'other' {
  // By the key's OID: whether Node's OpenSSL can read a GOST key depends on whether the gost
  // engine is loaded in this process (ESIA_SIGNER=engine), so a failed read proves nothing.
  if (gostKeyBits(pem) !== undefined) return 'gost';
  const cert = new X509Certificate(pem);
  try {
    return cert.publicKey.asymmetricKeyType === 'rsa' ? 'rsa' : 'other';
  } catch {
    return 'other';
  }
}

/** GOST R 34.10-2012 key sizes; the Streebog variant and signature length follow from it. */
export type GostBits = 256 | 512;

// SubjectPublicKeyInfo algorithm OIDs, DER-encoded: id-tc26-gost3410-12-256 (1.2.643.7.1.1.1.1)
// and id-tc26-gost3410-12-512 (1.2.643.7.1.1.1.2). Signature-algorithm and digest OIDs live under
// 1.2.643.7.1.1.3 / .2, so the issuer's algorithm cannot be mistaken for the subject key's.
const GOST_KEY_OID_PREFIX = Buffer.from('06082a850307010101', 'hex');

/** The size of the certificate's GOST key (undefined for RSA and anything else). */
export function gostKeyBits(pem: string): GostBits | undefined {
  const der = pemToDer(pem);
  for (let at = der.indexOf(GOST_KEY_OID_PREFIX); at >= 0; at = der.indexOf(GOST_KEY_OID_PREFIX, at + 1)) {
    const last = der[at + GOST_KEY_OID_PREFIX.length];
    if (last === 0x01) return 256;
    if (last === 0x02) return 512;
  }
  return undefined;
}

/** The openssl digest name for a key size (-md_gost12_256 / -md_gost12_512). */
export function gostDigest(bits: GostBits): 'md_gost12_256' | 'md_gost12_512' {
  return bits === 512 ? 'md_gost12_512' : 'md_gost12_256';
}

/** Raw GOST R 34.10-2012 signature length: 64 bytes for 256-bit keys, 128 for 512-bit ones. */
export function gostSignatureLength(bits: GostBits): number {
  return bits / 4;
}

/** Streebog (GOST R 34.11-2012) of bytes, as openssl's gost engine prints it (see below). */
export async function streebog(openssl: Openssl, bytes: Buffer, bits: GostBits = 256): Promise<Buffer> {
  const digest = await openssl.run(['dgst', `-${gostDigest(bits)}`, '-binary'], { input: bytes });
  if (digest.length !== bits / 8) throw new Error(`unexpected GOST digest length ${digest.length}`);
  return digest;
}

/**
 * client_certificate_hash: Streebog of the certificate DER (never the PEM text) as uppercase hex;
 * 64 characters for a 256-bit key, 128 (Streebog-512) for a 512-bit one.
 *
 * Byte order, settled against evidence that does not come from openssl (docs/esia.md,
 * "client_certificate_hash"): openssl prints the digest in the same order as CryptoPro's
 * `cpverify -mk -alg GR3411_2012_256 -inverted_halfbytes 0`, whose published value for the 12
 * bytes "1234567890\r\n" is 6AB21D9E…C85BE367, and RFC 6986 example M1 comes out as
 * 9d151eef…5500 as current BouncyCastle (AISGorod's signer) prints it. Both are pinned in
 * test/unit/esia/certificate-hash.test.ts. What ESIA wants for 512-bit certificates is not
 * published; Streebog-512 is what CryptoPro tools pick for them (ESIA_CERT_HASH overrides).
 */
export async function gostCertificateHash(openssl: Openssl, pem: string): Promise<string> {
  const digest = await streebog(openssl, pemToDer(pem), gostKeyBits(pem) ?? 256);
  return digest.toString('hex').toUpperCase();
}

/** The certificate's public key as PEM (openssl reads GOST keys Node cannot). */
export async function publicKeyPem(openssl: Openssl, certPem: string): Promise<string> {
  return (await openssl.run(['x509', '-pubkey', '-noout'], { input: Buffer.from(certPem) })).toString('utf8');
}

/** Verifies a raw GOST R 34.10-2012 signature (OpenSSL byte order) over message with a key of `bits`. */
export async function verifyGostSignature(openssl: Openssl, publicKey: string, message: Buffer, signature: Buffer, bits: GostBits = 256): Promise<boolean> {
  if (signature.length !== gostSignatureLength(bits)) return false;
  return openssl.withTempFiles({ 'pub.pem': publicKey, 'sig.bin': signature }, async (paths) => {
    try {
      await openssl.run(['dgst', `-${gostDigest(bits)}`, '-verify', paths['pub.pem'], '-signature', paths['sig.bin']], { input: message });
      return true;
    } catch {
      return false;
    }
  });
}
