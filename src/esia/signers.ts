import { readFileSync } from 'node:fs';
import type { EsiaSignerConfig } from '../config/esia.js';
import { gostCertificateHash, gostKeyBits, gostSignatureLength, publicKeyPem, verifyGostSignature, type GostBits } from './certificate.js';
import { createCryptoproSigner } from './cryptopro-signer.js';
import { createEngineSigner } from './engine-signer.js';
import { createHttpSigner, type SignerFetch } from './http-signer.js';
import { OpensslError, type Openssl } from './openssl.js';
import { createOpensslSigner } from './openssl-signer.js';
import { SignerError, type EsiaSigner } from './signer.js';

/** Builds the signer ESIA_SIGNER names, and checks it once at startup. */
export interface SignerContext {
  openssl: Openssl;
  timeoutMs: number;
  fetch?: SignerFetch | undefined;
}

export function createSigner(config: EsiaSignerConfig, ctx: SignerContext): EsiaSigner {
  const certPem = config.certFile ? readFileSync(config.certFile, 'utf8') : undefined;
  let hash: Promise<string> | undefined;
  const certificateHash = () => {
    hash ??= config.certHash
      ? Promise.resolve(config.certHash)
      : gostCertificateHash(ctx.openssl, certPem ?? '').catch((error: unknown) => {
          hash = undefined; // do not cache a failure
          throw error;
        });
    return hash;
  };
  const bits = signerKeyBits(certPem, config.certHash);
  switch (config.kind) {
    case 'openssl':
      return createOpensslSigner({ openssl: ctx.openssl, keyFile: config.keyFile, certFile: config.certFile, passphrase: config.keyPassphrase, certificateHash, bits });
    case 'engine':
      return createEngineSigner({ openssl: ctx.openssl, enginePath: config.enginePath, keyFile: config.keyFile, certFile: config.certFile, passphrase: config.keyPassphrase, certificateHash, bits });
    case 'cryptopro':
      return createCryptoproSigner({ bin: config.csptestBin, container: config.container, password: config.password, timeoutMs: ctx.timeoutMs, certificateHash, bits });
    case 'http':
      return createHttpSigner({ url: config.url, token: config.token, timeoutMs: ctx.timeoutMs, fetch: ctx.fetch ?? fetch, certificateHash });
  }
}

/**
 * The GOST key size: the certificate's when there is one, otherwise a 128-hex ESIA_CERT_HASH
 * (Streebog-512) means a 512-bit key (docs/esia.md, "512-bit keys").
 */
export function signerKeyBits(certPem: string | undefined, certHash: string | undefined): GostBits {
  if (certPem) return gostKeyBits(certPem) ?? 256;
  return certHash?.length === 128 ? 512 : 256;
}

/**
 * Signs a probe once at startup and checks it against the certificate, so a missing engine, a
 * wrong passphrase or a key that does not match the certificate stops the process with a clear
 * message instead of failing the first real login.
 */
export async function selfTestSigner(signer: EsiaSigner, ctx: { openssl: Openssl; certFile: string | undefined; protocol: 'v1' | 'v2' }): Promise<void> {
  const probe = Buffer.from(`esia-broker signer self-test ${new Date().toISOString()}`);
  const fail = (what: string, error?: unknown): never => {
    const detail = error instanceof OpensslError || error instanceof Error ? `: ${error.message}` : '';
    throw new SignerError(`ESIA signer self-test failed (ESIA_SIGNER=${signer.kind}): ${what}${detail}`);
  };
  const hash = await signer.certificateHash().catch((error: unknown) => fail('cannot compute the certificate hash (is libengine-gost-openssl installed? see ESIA_GOST_ENGINE)', error));
  if (!/^([0-9A-F]{64}|[0-9A-F]{128})$/.test(hash)) fail(`certificate hash is not 64 or 128 hex characters`);
  const certPem = ctx.certFile ? readFileSync(ctx.certFile, 'utf8') : undefined;
  const bits = signerKeyBits(certPem, hash);
  if (ctx.protocol === 'v1') {
    const cms = await signer.signCms(probe).catch((error: unknown) => fail('cannot make a CMS signature', error));
    if (!certPem) return;
    const ok = await ctx.openssl.withTempFiles({ 'sig.der': cms, 'msg.bin': probe, 'cert.pem': certPem }, (p) =>
      ctx.openssl
        .run(['cms', '-verify', '-binary', '-inform', 'DER', '-in', p['sig.der'], '-content', p['msg.bin'], '-noverify', '-nointern', '-certfile', p['cert.pem'], '-out', '/dev/null'])
        .then(() => true, () => false),
    );
    if (!ok) fail('the CMS signature does not verify with ESIA_CERT_FILE (key and certificate do not match?)');
    return;
  }
  const signature = await signer.signRaw(probe).catch((error: unknown) => fail('cannot sign', error));
  if (signature.length !== gostSignatureLength(bits)) fail(`signature is ${signature.length} bytes, expected ${gostSignatureLength(bits)} (GOST R 34.10-2012-${bits})`);
  if (!certPem) return;
  const publicKey = await publicKeyPem(ctx.openssl, certPem).catch((error: unknown) => fail('cannot read ESIA_CERT_FILE', error));
  if (!(await verifyGostSignature(ctx.openssl, publicKey, probe, signature, bits))) {
    fail('the signature does not verify with ESIA_CERT_FILE (key and certificate do not match, or wrong byte order)');
  }
}
