import { compactVerify, importX509 } from 'jose';
import { z } from 'zod';
import type { EsiaTokenAlg } from '../config/esia.js';
import { certificateKeyType, publicKeyPem, splitPemCertificates, verifyGostSignature } from './certificate.js';
import { gostEngineLoaded, verifyGostInProcess } from './engine-signer.js';
import { EsiaError } from './errors.js';
import type { Openssl } from './openssl.js';

/**
 * Validates ESIA's id_token (docs/esia-protocol.md §6): the signature with ESIA's certificate(s) from
 * ESIA_TOKEN_CERT_FILE (several while ESIA rotates), RS256 through jose or GOST3410_2012_256
 * through openssl, chosen by the header's alg and refused unless configured; iss exactly as ESIA
 * sends it (http://…/), aud = our mnemonic, exp/nbf with a small leeway. ESIA sends no nonce.
 */
export interface EsiaIdClaims {
  oid: string;
  authTime: number;
  sessionId: string | undefined;
  /** urn:esia:sbj:is_tru: present and true only for confirmed accounts. */
  trusted: boolean;
  /** urn:esia:sbj:lvl when ESIA sends it: KD child, PR confirmed, P otherwise. */
  lvl: string | undefined;
}

const oid = z.union([z.number().int().positive(), z.string().regex(/^\d+$/)]).transform(String);
const claimsSchema = z.object({
  iss: z.string(),
  aud: z.union([z.string(), z.array(z.string())]),
  sub: oid,
  exp: z.number(),
  nbf: z.number().optional(),
  iat: z.number().optional(),
  auth_time: z.number().optional(),
  'urn:esia:sid': z.string().optional(),
  'urn:esia:sbj': z
    .object({ 'urn:esia:sbj:oid': oid.optional(), 'urn:esia:sbj:is_tru': z.boolean().optional(), 'urn:esia:sbj:lvl': z.string().optional() })
    .optional(),
});

interface TrustedKey {
  alg: EsiaTokenAlg;
  verify(input: Buffer, signature: Buffer, jwt: string): Promise<boolean>;
}

export interface IdTokenVerifierOptions {
  certificatesPem: string;
  algs: readonly EsiaTokenAlg[];
  issuer: string;
  clientId: string;
  leewaySec: number;
  openssl: Openssl;
  now?: () => number;
}

export async function createIdTokenVerifier(options: IdTokenVerifierOptions) {
  const now = options.now ?? Date.now;
  const keys: TrustedKey[] = [];
  for (const pem of splitPemCertificates(options.certificatesPem)) {
    const type = certificateKeyType(pem);
    if (type === 'rsa' && options.algs.includes('RS256')) {
      const key = await importX509(pem, 'RS256');
      keys.push({ alg: 'RS256', verify: (_input, _sig, jwt) => compactVerify(jwt, key, { algorithms: ['RS256'] }).then(() => true, () => false) });
    } else if (type === 'gost' && options.algs.includes('GOST3410_2012_256')) {
      const publicKey = await publicKeyPem(options.openssl, pem);
      // In process when ESIA_SIGNER=engine has loaded the gost engine: one spawned openssl fewer per login.
      keys.push({
        alg: 'GOST3410_2012_256',
        verify: (input, signature) => (gostEngineLoaded() ? verifyGostInProcess(publicKey, input, signature) : verifyGostSignature(options.openssl, publicKey, input, signature)),
      });
    }
  }
  const missing = options.algs.filter((alg) => !keys.some((key) => key.alg === alg));
  if (missing.length > 0) throw new Error(`ESIA_TOKEN_CERT_FILE holds no certificate for ${missing.join(', ')} (ESIA_TOKEN_ALGS)`);

  return {
    async verify(jwt: string): Promise<EsiaIdClaims> {
      const parts = jwt.split('.');
      if (parts.length !== 3) throw bad('id_token is not a compact JWS');
      const [headerPart = '', payloadPart = '', signaturePart = ''] = parts;
      const header = decodeJson(headerPart);
      const alg = typeof header?.['alg'] === 'string' ? header['alg'] : undefined;
      const candidates = keys.filter((key) => key.alg === alg);
      if (candidates.length === 0) throw bad(`id_token alg ${alg ?? 'missing'} is not configured`);
      const input = Buffer.from(`${headerPart}.${payloadPart}`);
      const signature = Buffer.from(signaturePart, 'base64url');
      let verified = false;
      for (const key of candidates) if (!verified) verified = await key.verify(input, signature, jwt);
      if (!verified) throw bad(`id_token signature does not verify (${alg}); has ESIA rotated its certificate?`);

      const parsed = claimsSchema.safeParse(decodeJson(payloadPart));
      if (!parsed.success) throw bad('id_token claims malformed');
      const claims = parsed.data;
      const nowSec = Math.floor(now() / 1000);
      if (claims.iss !== options.issuer) throw bad('id_token iss mismatch');
      if (!(Array.isArray(claims.aud) ? claims.aud.includes(options.clientId) : claims.aud === options.clientId)) throw bad('id_token aud mismatch');
      if (claims.exp + options.leewaySec < nowSec) throw bad('id_token expired');
      if (claims.nbf !== undefined && claims.nbf - options.leewaySec > nowSec) throw bad('id_token not yet valid (clock skew?)');
      const subject = claims['urn:esia:sbj'];
      if (subject?.['urn:esia:sbj:oid'] !== undefined && subject['urn:esia:sbj:oid'] !== claims.sub) throw bad('id_token sub and urn:esia:sbj:oid differ');
      return {
        oid: claims.sub,
        authTime: claims.auth_time ?? claims.iat ?? nowSec,
        sessionId: claims['urn:esia:sid'],
        trusted: subject?.['urn:esia:sbj:is_tru'] === true,
        lvl: subject?.['urn:esia:sbj:lvl'],
      };
    },
  };
}
export type IdTokenVerifier = Awaited<ReturnType<typeof createIdTokenVerifier>>;

function bad(detail: string): EsiaError {
  return new EsiaError('bad_response', detail);
}

function decodeJson(part: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
