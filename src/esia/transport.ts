import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/**
 * What the ESIA back channel needs of an HTTP client: fetch's shape, narrowed to one request
 * and its status and text. Global fetch fits it (tests script it for faults); production uses
 * createEsiaFetch below.
 */
export interface EsiaRequestInit {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  redirect: 'manual';
  /** Aborts the request and the reading of its body (the call's deadline). */
  signal: AbortSignal;
}

export interface EsiaAnswer {
  status: number;
  /** The whole body as text; rejects when the body does not arrive (reset, deadline). */
  text(): Promise<string>;
}

export type EsiaFetch = (url: string, init: EsiaRequestInit) => Promise<EsiaAnswer>;

/**
 * Bodies are read at most this far: past it the answer is refused for its size anyway
 * (http.ts), and UTF-8 needs at most 3 bytes per UTF-16 unit, so the text of this many bytes
 * is already longer than that limit and the verdict is the one the whole body would get.
 */
export const bodyByteCap = (maxChars: number) => 3 * maxChars + 3;

export interface EsiaFetchOptions {
  /** Characters of body the caller accepts (it refuses more); reading stops past bodyByteCap of it. */
  maxBodyChars: number;
  /** Extra trust for https (tests); absent, Node's default CAs and NODE_EXTRA_CA_CERTS, as for fetch. */
  ca?: string | Buffer | undefined;
}

/**
 * ESIA over node:http / node:https with keep-alive agents: per request a fraction of the CPU of
 * global fetch (undici's fetch builds WHATWG Request, Headers, Response and streams for each
 * call). Connections are reused; an idle one is closed before the server's Keep-Alive timeout
 * hint (Node's agent honours it), else after 4 s, as undici does. No redirects are followed
 * (ESIA's API never redirects; fetch was told redirect: 'manual'). Node's agent sends no
 * accept-encoding, so bodies come uncompressed.
 */
export function createEsiaFetch(options: EsiaFetchOptions): EsiaFetch {
  const cap = bodyByteCap(options.maxBodyChars);
  const http = new HttpAgent({ keepAlive: true, timeout: 4000 });
  const https = new HttpsAgent({ keepAlive: true, timeout: 4000, ...(options.ca ? { ca: options.ca } : {}) });
  return (url, init) =>
    new Promise<EsiaAnswer>((resolve, reject) => {
      const secure = url.startsWith('https:');
      const headers: Record<string, string | number> = { 'user-agent': 'node', ...init.headers };
      if (init.body !== undefined) headers['content-length'] = Buffer.byteLength(init.body);
      const request = (secure ? httpsRequest : httpRequest)(url, { method: init.method, headers, agent: secure ? https : http, signal: init.signal }, (response) => {
        const body = readBody(response, cap);
        body.catch(() => undefined); // read now (the socket goes back to the pool); a failure surfaces in text()
        resolve({ status: response.statusCode ?? 0, text: () => body });
      });
      request.on('error', reject);
      request.end(init.body);
    });
}

/** The body as UTF-8 text, at most cap bytes of it (then the connection is dropped, not reused). */
function readBody(response: IncomingMessage, cap: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let done = false;
    const finish = () => {
      done = true;
      resolve(Buffer.concat(chunks, Math.min(bytes, cap)).toString('utf8'));
    };
    response.on('data', (chunk: Buffer) => {
      if (done) return;
      chunks.push(chunk);
      bytes += chunk.length;
      if (bytes >= cap) {
        finish();
        response.destroy();
      }
    });
    response.once('end', () => {
      if (!done) finish();
    });
    response.once('error', (error) => {
      if (!done) reject(error);
    });
    response.once('close', () => {
      if (!done) reject(new Error('the connection closed before the body was complete'));
    });
  });
}
