import { createPrivateKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, type JWTPayload } from 'jose';
import { signCompact } from './jws.js';

/** Algorithms our own signing keys use: ES256 by default, RS256 for clients that ask for it. */
export const SIGNING_ALGS = ['ES256', 'RS256'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

export interface SigningKey {
  kid: string;
  alg: SigningAlg;
  /** node:crypto, not WebCrypto: see jws.ts. */
  privateKey: KeyObject;
}

export interface GeneratedKey {
  kid: string;
  alg: SigningAlg;
  /** Public JWK with kid, alg and use=sig: exactly what JWKS publishes. */
  publicJwk: JWK;
  privateJwk: JWK;
}

/** A fresh key pair; kid is the RFC 7638 thumbprint, so every instance derives the same one. */
export async function generateSigningKey(alg: SigningAlg): Promise<GeneratedKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
  return {
    kid,
    alg,
    publicJwk: { ...publicJwk, kid, alg, use: 'sig' },
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg },
  };
}

export async function importSigningKey(kid: string, alg: SigningAlg, privateJwk: JWK): Promise<SigningKey> {
  if (privateJwk.kty !== (alg === 'ES256' ? 'EC' : 'RSA')) throw new Error(`a ${alg} signing key must be ${alg === 'ES256' ? 'EC' : 'RSA'}`);
  return { kid, alg, privateKey: createPrivateKey({ key: privateJwk as JsonWebKey, format: 'jwk' }) };
}

/** Signs a JWT with the given key; `typ` goes into the header (RFC 9068 wants `at+jwt`). */
export async function signJwt(payload: JWTPayload, key: SigningKey, typ: string): Promise<string> {
  return signCompact({ alg: key.alg, kid: key.kid, typ }, payload, key.alg, key.privateKey);
}
