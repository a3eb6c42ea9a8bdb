import { certificateKeyType, gostCertificateHash, gostKeyBits, gostSignatureLength, publicKeyPem, verifyGostSignature, type GostBits } from '../esia/certificate.js';
import type { Openssl } from '../esia/openssl.js';
import { decodeSignature, parseEsiaTimestamp } from '../esia/protocol.js';
import { EsiaFault } from './esia-errors.js';

/**
 * The emulator's registry of information systems (docs/emulator.md) and the strict checks of
 * what they send: client_secret over the exact string (§9.3) and the timestamp window (§9.4).
 */
export type TokenAlg = 'RS256' | 'GOST3410_2012_256';

export interface ClientRegistration {
  /** The mnemonic. */
  clientId: string;
  /** Exact-match list (§9.5). */
  redirectUris: string[];
  /** PEM certificates uploaded for the system; several while one rotates in. */
  certificates: string[];
  /** Approved scopes; anything else is ESIA-007019 noGrants. */
  scopes: string[];
  /** How ESIA signs this system's tokens (a tech-portal setting, §4). */
  tokenAlg: TokenAlg;
  /** v1 only: accept legacy RSA-SHA256 CMS signatures (RSA is no longer accepted by the real ESIA). */
  acceptRsaCms?: boolean;
}

interface RegisteredCert {
  pem: string;
  hash: string;
  keyType: 'rsa' | 'gost' | 'other';
  /** GOST key size: picks Streebog-256 or -512 for the hash and the signature. */
  bits: GostBits;
  publicKey: string;
}

export interface RegisteredClient extends ClientRegistration {
  certs: RegisteredCert[];
}

export function createRegistry(openssl: Openssl) {
  const clients = new Map<string, RegisteredClient>();
  return {
    async register(registration: ClientRegistration): Promise<RegisteredClient> {
      const certs = await Promise.all(
        registration.certificates.map(async (pem) => {
          const keyType = certificateKeyType(pem);
          const hash = keyType === 'gost' ? await gostCertificateHash(openssl, pem) : '';
          return { pem, hash, keyType, bits: gostKeyBits(pem) ?? 256, publicKey: await publicKeyPem(openssl, pem) };
        }),
      );
      const client = { ...registration, certs };
      clients.set(registration.clientId, client);
      return client;
    },
    get(clientId: string): RegisteredClient | undefined {
      return clients.get(clientId);
    },
  };
}
export type Registry = ReturnType<typeof createRegistry>;

/** v2/v3: a raw GOST signature (256- or 512-bit key) by the certificate client_certificate_hash names. */
export async function verifyRawSecret(openssl: Openssl, client: RegisteredClient, certificateHash: string, signed: string, secret: string): Promise<void> {
  const gost = client.certs.filter((cert) => cert.keyType === 'gost');
  if (gost.length === 0) throw new EsiaFault('007002');
  // A wrong hash (e.g. a SHA-1 thumbprint) is answered with 007053 by the real ESIA (ilimurzin/esia issue 7).
  const cert = gost.find((candidate) => candidate.hash === certificateHash.toUpperCase());
  const signature = decodeSignature(secret);
  if (!cert || !signature || signature.length !== gostSignatureLength(cert.bits)) throw new EsiaFault('007053');
  if (!(await verifyGostSignature(openssl, cert.publicKey, Buffer.from(signed, 'utf8'), signature, cert.bits))) throw new EsiaFault('007053');
}

/** v1: a CMS detached SignedData whose signer is one of the registered certificates. */
export async function verifyCmsSecret(openssl: Openssl, client: RegisteredClient, signed: string, secret: string): Promise<void> {
  const usable = client.certs.filter((cert) => cert.keyType === 'gost' || (cert.keyType === 'rsa' && client.acceptRsaCms));
  if (usable.length === 0) throw new EsiaFault('007002');
  const der = decodeSignature(secret);
  if (!der || der.length < 64) throw new EsiaFault('007053');
  const ok = await openssl.withTempFiles({ 'sig.der': der, 'msg.bin': Buffer.from(signed, 'utf8'), 'certs.pem': usable.map((cert) => cert.pem).join('') }, (p) =>
    openssl
      .run(['cms', '-verify', '-binary', '-inform', 'DER', '-in', p['sig.der'], '-content', p['msg.bin'], '-noverify', '-nointern', '-certfile', p['certs.pem'], '-out', '/dev/null'])
      .then(() => true, () => false),
  );
  if (!ok) throw new EsiaFault('007053');
}

/** §2.3/§9.4: the timestamp starts the window in which the request is valid; its length is [?]. */
export function checkTimestamp(timestamp: string, now: number, windowMs: number): void {
  const at = parseEsiaTimestamp(timestamp);
  if (at === undefined) throw new EsiaFault('007015', 'timestamp');
  if (Math.abs(now - at) > windowMs) throw new EsiaFault('007015');
}
