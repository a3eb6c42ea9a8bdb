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
  const cert = new X509Certificate(pem);
  try {
    const type = cert.publicKey.asymmetricKeyType;
    return type === 'rsa' ? 'rsa' : 'other';
  } catch {
    return 'gost';
  }
}

/**
 * client_certificate_hash (§2.4): GOST R 34.11-2012-256 (Streebog) of the certificate DER, as
 * 64 uppercase hex characters. Byte order as openssl prints it; whether that equals cpverify's is
 * [?] in PROTOCOL.md, hence ESIA_CERT_HASH to paste the tech-portal value instead.
 */
export async function gostCertificateHash(openssl: Openssl, pem: string): Promise<string> {
  const digest = await openssl.run(['dgst', '-md_gost12_256', '-binary'], { input: pemToDer(pem) });
  if (digest.length !== 32) throw new Error(`unexpected GOST digest length ${digest.length}`);
  return digest.toString('hex').toUpperCase();
}

/** The certificate's public key as PEM (openssl reads GOST keys Node cannot). */
export async function publicKeyPem(openssl: Openssl, certPem: string): Promise<string> {
  return (await openssl.run(['x509', '-pubkey', '-noout'], { input: Buffer.from(certPem) })).toString('utf8');
}

/** Verifies a raw GOST R 34.10-2012-256 signature (OpenSSL byte order) over message. */
export async function verifyGostSignature(openssl: Openssl, publicKey: string, message: Buffer, signature: Buffer): Promise<boolean> {
  if (signature.length !== 64) return false;
  return openssl.withTempFiles({ 'pub.pem': publicKey, 'sig.bin': signature }, async (paths) => {
    try {
      await openssl.run(['dgst', '-md_gost12_256', '-verify', paths['pub.pem'], '-signature', paths['sig.bin']], { input: message });
      return true;
    } catch {
      return false;
    }
  });
}
