import { SignerError, type EsiaSigner } from './signer.js';

const RAW = 'application/octet-stream';

/** fetch, as the signer calls it (global fetch fits; tests script it). */
export type SignerFetch = (url: string, init: RequestInit) => Promise<Response>;

/**
 * A remote signing service for keys kept in an HSM or a certified CryptoPro gateway (docs/esia.md,
 * "The http signer contract"): POST the bytes to sign as application/octet-stream with a bearer
 * token; the Accept header says which signature is wanted — application/octet-stream for the raw
 * GOST signature (64 bytes, 128 for a 512-bit key) in OpenSSL byte order, application/pkcs7-signature for a detached CMS
 * (DER). The body is the signature bytes. No retries: one signature, one request, within the
 * caller's deadline. The contract is docs/esia.md ("The http signer contract"), the service a
 * region builds; test/helpers/reference-signer.ts implements it from there.
 */
export function createHttpSigner(options: {
  url: string;
  token: string;
  timeoutMs: number;
  fetch: SignerFetch;
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
      const hint = response.status === 401 || response.status === 403 ? ' (check ESIA_SIGNER_TOKEN)' : '';
      throw new SignerError(`signing service answered HTTP ${response.status}${hint}`);
    }
    let body: Buffer;
    try {
      body = Buffer.from(await response.arrayBuffer());
    } catch (error) {
      throw new SignerError(`signing service answer not received: ${error instanceof Error ? error.name : 'error'}`);
    }
    // A wrong length is a broken service, not ESIA's refusal: say so before ESIA answers 007053.
    if (accept === RAW && body.length !== 64 && body.length !== 128) {
      throw new SignerError(`signing service answered ${body.length} bytes, expected a GOST R 34.10-2012 signature (64 bytes, 128 for a 512-bit key)`);
    }
    if (body.length === 0) throw new SignerError('signing service answered an empty signature');
    return body;
  }
  return {
    kind: 'http',
    signRaw: (message, signal) => sign(message, RAW, signal),
    signCms: (message, signal) => sign(message, 'application/pkcs7-signature', signal),
    certificateHash: options.certificateHash,
  };
}
