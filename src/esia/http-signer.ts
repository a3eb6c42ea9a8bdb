import { SignerError, type EsiaSigner } from './signer.js';

/**
 * A remote signing service for keys kept in an HSM (PROTOCOL.md §3, "Remote signing service"):
 * POST the bytes to sign as application/octet-stream with a bearer token; the Accept header says
 * which signature is wanted — application/octet-stream for the raw 64-byte GOST signature in
 * OpenSSL byte order, application/pkcs7-signature for a detached CMS (DER). The body is the
 * signature bytes. Documented in docs/esia.md so an HSM team can implement it.
 */
export function createHttpSigner(options: {
  url: string;
  token: string;
  timeoutMs: number;
  fetch: typeof fetch;
  certificateHash: () => Promise<string>;
}): EsiaSigner {
  async function sign(message: Buffer, accept: string, deadline: AbortSignal | undefined): Promise<Buffer> {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    let response: Response;
    try {
      response = await options.fetch(options.url, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/octet-stream', accept },
        body: message,
        signal: deadline ? AbortSignal.any([timeout, deadline]) : timeout,
      });
    } catch (error) {
      throw new SignerError(`signing service unreachable: ${error instanceof Error ? error.name : 'error'}`);
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new SignerError(`signing service answered HTTP ${response.status}`);
    }
    try {
      return Buffer.from(await response.arrayBuffer());
    } catch (error) {
      throw new SignerError(`signing service answer not received: ${error instanceof Error ? error.name : 'error'}`);
    }
  }
  return {
    kind: 'http',
    signRaw: (message, signal) => sign(message, 'application/octet-stream', signal),
    signCms: (message, signal) => sign(message, 'application/pkcs7-signature', signal),
    certificateHash: options.certificateHash,
  };
}
