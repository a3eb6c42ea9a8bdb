import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gostDigest } from './certificate.js';
import { createOpensslSigner, type KeyFileSignerOptions } from './openssl-signer.js';
import { SignerError, type EsiaSigner } from './signer.js';

/**
 * The same PEM key and the same gost engine as the `openssl` signer, but loaded once into Node's
 * own OpenSSL (crypto.setEngine): a raw signature is one EVP_DigestSign call on libuv's thread
 * pool (~0.3 ms here) instead of a spawned openssl (~8 ms and a process each). The signature bytes
 * come from the same OpenSSL routine `openssl dgst -sign` uses, so the byte order is the same.
 * CMS (legacy v1) has no Node API and still goes through the spawning signer.
 */
export function createEngineSigner(options: KeyFileSignerOptions & { enginePath: string }): EsiaSigner {
  loadGostEngine(options.enginePath);
  const digest = gostDigest(options.bits ?? 256);
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey({ key: readFileSync(options.keyFile), format: 'pem', ...(options.passphrase ? { passphrase: options.passphrase } : {}) });
  } catch (error) {
    throw new SignerError(`ESIA_KEY_FILE: cannot read the GOST key through the engine (${(error as Error).message}); wrong ESIA_KEY_PASSPHRASE?`);
  }
  const cms = createOpensslSigner(options);
  return {
    kind: 'engine',
    signRaw: (message, signal) =>
      new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(new SignerError('signing deadline passed'));
        crypto.sign(digest, message, key, (error, signature) => (error ? reject(new SignerError(`GOST signature failed: ${error.message}`)) : resolve(signature)));
      }),
    signCms: cms.signCms,
    certificateHash: options.certificateHash,
  };
}

let loadedEngine: string | undefined;

/** Whether this process has the gost engine loaded (ESIA_SIGNER=engine), so GOST works in process. */
export function gostEngineLoaded(): boolean {
  return loadedEngine !== undefined;
}

/**
 * A raw GOST R 34.10-2012 signature checked in this process (the engine must be loaded): the same
 * EVP_DigestVerify that `openssl dgst -verify` runs, without a process and two temp files per check.
 */
export function verifyGostInProcess(publicKeyPem: string, message: Buffer, signature: Buffer, bits: 256 | 512 = 256): Promise<boolean> {
  if (!gostEngineLoaded()) return Promise.reject(new SignerError('the gost engine is not loaded in this process'));
  return new Promise((resolve) => {
    try {
      crypto.verify(gostDigest(bits), message, publicKeyPem, signature, (error, ok) => resolve(!error && ok));
    } catch {
      resolve(false);
    }
  });
}

/**
 * Registers the gost engine with Node's OpenSSL, once per process. The engine adds GOST
 * algorithms only (Streebog, GOST R 34.10-2012, Magma/Kuznyechik), so ECDSA, RSA and SHA-2 that
 * the broker's own tokens use stay where they were.
 */
export function loadGostEngine(enginePath: string): void {
  if (loadedEngine === enginePath) return;
  if (loadedEngine !== undefined) throw new SignerError(`the gost engine is already loaded from ${loadedEngine}; one process cannot load a second one (${enginePath})`);
  try {
    crypto.setEngine(enginePath, crypto.constants.ENGINE_METHOD_ALL);
  } catch (error) {
    throw new SignerError(`ESIA_GOST_ENGINE: Node's OpenSSL cannot load ${enginePath} (${(error as Error).message}); install libengine-gost-openssl or use ESIA_SIGNER=openssl`);
  }
  loadedEngine = enginePath;
}
