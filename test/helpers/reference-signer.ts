import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_GOST_ENGINE, gostConf } from '../../src/esia/openssl.js';

/**
 * A reference signing service for ESIA_SIGNER=http, written from the contract in docs/esia.md
 * ("The http signer contract") and not from src/esia/http-signer.ts: what a region's certified
 * gateway (an HSM or CryptoPro behind HTTPS) must do. It signs with the openssl command line and
 * the gost engine, as a gateway's own crypto library would, and answers exactly as the contract
 * says, errors included, so a login through it proves the broker and the contract agree.
 */
export interface ReferenceSigner {
  url: string;
  /** Every request, in order: what the broker sent (for assertions). */
  requests: { authorization: string | undefined; contentType: string | undefined; accept: string | undefined; body: Buffer }[];
  /** Makes the next answers misbehave, as a broken gateway would. */
  fault: 'none' | 'short-signature' | 'error-500';
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;
const RAW = 'application/octet-stream';
const CMS = 'application/pkcs7-signature';

export async function startReferenceSigner(options: { keyFile: string; certFile: string; token: string }): Promise<ReferenceSigner> {
  const confFile = join(mkdtempSync(join(tmpdir(), 'ref-signer-')), 'gost.cnf');
  writeFileSync(confFile, gostConf(DEFAULT_GOST_ENGINE));
  const openssl = (args: string[], input: Buffer) =>
    new Promise<Buffer>((resolve, reject) => {
      const child = execFile('openssl', args, { encoding: 'buffer', env: { ...process.env, OPENSSL_CONF: confFile } }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
      child.stdin?.end(input);
    });
  const state: ReferenceSigner = { url: '', requests: [], fault: 'none', close: async () => undefined };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const answer = (status: number, text: string, headers: Record<string, string> = {}): void => void response.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(text);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) return answer(413, 'body over 64 KiB');
      chunks.push(chunk as Buffer);
    }
    const body = Buffer.concat(chunks);
    state.requests.push({ authorization: request.headers.authorization, contentType: request.headers['content-type'], accept: request.headers.accept, body });
    if (request.method !== 'POST') return answer(405, 'POST only', { allow: 'POST' });
    if (request.headers.authorization !== `Bearer ${options.token}`) return answer(401, 'bad token', { 'www-authenticate': 'Bearer' });
    if (request.headers['content-type'] !== RAW) return answer(415, `content-type must be ${RAW}`);
    if (body.length === 0) return answer(400, 'nothing to sign');
    if (state.fault === 'error-500') return answer(500, 'HSM unavailable');
    const accept = request.headers.accept;
    let signature: Buffer;
    if (accept === RAW) signature = await openssl(['dgst', '-md_gost12_256', '-sign', options.keyFile], body);
    else if (accept === CMS) signature = await openssl(['cms', '-sign', '-binary', '-noattr', '-md', 'md_gost12_256', '-outform', 'DER', '-signer', options.certFile, '-inkey', options.keyFile], body);
    else return answer(406, `accept ${RAW} or ${CMS}`);
    if (state.fault === 'short-signature') signature = signature.subarray(0, 32);
    response.writeHead(200, { 'content-type': accept, 'content-length': String(signature.length) }).end(signature);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500).end('signing failed');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/sign`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}
