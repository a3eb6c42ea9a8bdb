import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { createCircuitBreaker } from '../../../src/esia/circuit-breaker.js';
import { createEsiaHttp, MAX_BODY } from '../../../src/esia/http.js';
import { bodyByteCap, createEsiaFetch } from '../../../src/esia/transport.js';
import { scratchDir } from '../../helpers/emulator.js';
import { failureOf } from '../../helpers/esia-failure.js';

// The ESIA back channel's HTTP client (node:http with keep-alive), against real sockets: what
// http.ts relies on (status, text, deadlines, resets, the body cap) and what fetch gave before.
type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

async function serve(t: Test, handler: Handler, make: (listener: (request: IncomingMessage, response: ServerResponse) => void) => Server = (l) => createServer(l)) {
  const sockets = new Set<Socket>();
  const seen: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string; socket: Socket }> = [];
  const server = make((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body, socket: request.socket });
      handler(request, body, response);
    });
  });
  server.on('connection', (socket: Socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return { seen, sockets, port: (server.address() as AddressInfo).port };
}

const json = (response: ServerResponse, status: number, body: unknown) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
const init = (method: 'GET' | 'POST', extra: { body?: string; headers?: Record<string, string>; ms?: number } = {}) => ({
  method,
  headers: extra.headers ?? {},
  ...(extra.body !== undefined ? { body: extra.body } : {}),
  redirect: 'manual' as const,
  signal: AbortSignal.timeout(extra.ms ?? 2000),
});

t.test('status and text of GET and POST; headers and body as sent; the connection is reused', async (t) => {
  const server = await serve(t, (request, body, response) => json(response, request.method === 'POST' ? 400 : 200, { echo: body, path: request.url }));
  const fetch = createEsiaFetch({ maxBodyChars: MAX_BODY });
  const base = `http://127.0.0.1:${server.port}`;
  const got = await fetch(`${base}/rs/prns/1?embed=(elements)`, init('GET', { headers: { accept: 'application/json', authorization: 'Bearer a' } }));
  t.equal(got.status, 200);
  t.same(JSON.parse(await got.text()), { echo: '', path: '/rs/prns/1?embed=(elements)' });
  const form = 'code=абв&state=1';
  const posted = await fetch(`${base}/aas/oauth2/v3/te`, init('POST', { body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } }));
  t.equal(posted.status, 400, 'an error status is an answer, not a failure');
  t.same(JSON.parse(await posted.text()), { echo: form, path: '/aas/oauth2/v3/te' });
  t.match(server.seen[0]!.headers, { accept: 'application/json', authorization: 'Bearer a', connection: 'keep-alive' });
  t.match(server.seen[1]!.headers, { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(form)) });
  t.equal(server.seen[1]!.socket, server.seen[0]!.socket, 'one connection for both calls');
  t.equal(server.sockets.size, 1);
});

t.test('a redirect is returned as it is, not followed', async (t) => {
  const server = await serve(t, (_request, _body, response) => response.writeHead(302, { location: 'http://elsewhere.test/' }).end());
  const answer = await createEsiaFetch({ maxBodyChars: MAX_BODY })(`http://127.0.0.1:${server.port}/x`, init('GET'));
  t.equal(answer.status, 302);
  t.equal(server.seen.length, 1);
});

t.test('a body past the cap is cut where its text is already too long: the verdict of the whole body', async (t) => {
  const max = 1000;
  const huge = 'я'.repeat(5000); // 2 bytes each: 10,000 bytes, over bodyByteCap(1000)
  const server = await serve(t, (_request, _body, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(huge));
  const text = await (await createEsiaFetch({ maxBodyChars: max })(`http://127.0.0.1:${server.port}/x`, init('GET'))).text();
  t.ok(text.length > max, 'longer than the limit');
  t.ok(Buffer.byteLength(text) <= bodyByteCap(max) + 3, 'but not read to the end');

  const http = createEsiaHttp({ fetch: createEsiaFetch({ maxBodyChars: MAX_BODY }), breaker: createCircuitBreaker({ threshold: 5, cooldownMs: 1000 }) });
  const big = await serve(t, (_request, _body, response) => response.writeHead(200).end('x'.repeat(MAX_BODY + 1)));
  t.match(await failureOf(http.call({ operation: 'person', method: 'GET', url: `http://127.0.0.1:${big.port}/x`, deadline: Date.now() + 2000 })), { failure: 'bad_response', detail: 'person: body too large' });
  const exact = await serve(t, (_request, _body, response) => response.writeHead(200).end(JSON.stringify({ a: 'x'.repeat(MAX_BODY - 10) })));
  t.ok(await http.call({ operation: 'person', method: 'GET', url: `http://127.0.0.1:${exact.port}/x`, deadline: Date.now() + 2000 }), 'a body just under the limit is read whole');
});

t.test('the deadline aborts a silent server, before and after the headers', async (t) => {
  const http = createEsiaHttp({ fetch: createEsiaFetch({ maxBodyChars: MAX_BODY }), breaker: createCircuitBreaker({ threshold: 50, cooldownMs: 1000 }) });
  const silent = await serve(t, () => undefined);
  const started = Date.now();
  t.match(await failureOf(http.call({ operation: 'person', method: 'GET', url: `http://127.0.0.1:${silent.port}/x`, deadline: Date.now() + 150 })), { failure: 'unavailable', detail: 'person: timed out' });
  t.ok(Date.now() - started < 1000);
  t.equal(silent.seen.length, 1, 'a timeout is not retried');
  const halfBody = await serve(t, (_request, _body, response) => {
    response.writeHead(200, { 'content-length': '100' });
    response.write('{"a":');
  });
  t.match(await failureOf(http.call({ operation: 'person', method: 'GET', url: `http://127.0.0.1:${halfBody.port}/x`, deadline: Date.now() + 150 })), { failure: 'unavailable', detail: 'person: body not received in time' });
});

t.test('a connection reset mid-body fails the body; a refused connection is a network error (a GET tried twice)', async (t) => {
  const http = createEsiaHttp({ fetch: createEsiaFetch({ maxBodyChars: MAX_BODY }), breaker: createCircuitBreaker({ threshold: 50, cooldownMs: 1000 }) });
  const cut = await serve(t, (request, _body, response) => {
    response.writeHead(200, { 'content-length': '100' });
    response.write('{"a":', () => request.socket.destroy());
  });
  t.match(await failureOf(http.call({ operation: 'token', method: 'POST', url: `http://127.0.0.1:${cut.port}/te`, body: 'a=b', deadline: Date.now() + 2000 })), { failure: 'unavailable', detail: 'token: body not received in time' });

  const gone = await serve(t, () => undefined);
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  t.match(await failureOf(http.call({ operation: 'person', method: 'GET', url: `http://127.0.0.1:${port}/x`, deadline: Date.now() + 2000 })), { failure: 'unavailable', detail: 'person: network error' });
  t.match(await failureOf(http.call({ operation: 'token', method: 'POST', url: `http://127.0.0.1:${port}/te`, body: 'a=b', deadline: Date.now() + 2000 })), { failure: 'unavailable', detail: 'token: network error' });
  t.equal(gone.seen.length, 0);
});

t.test('a kept connection the server closed meanwhile is not used again', async (t) => {
  const server = await serve(t, (_request, _body, response) => json(response, 200, { ok: true }));
  const fetch = createEsiaFetch({ maxBodyChars: MAX_BODY });
  const url = `http://127.0.0.1:${server.port}/x`;
  t.equal((await fetch(url, init('GET'))).status, 200);
  for (const socket of server.sockets) socket.destroy();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const again = await fetch(url, init('POST', { body: 'a=b' }));
  t.equal(again.status, 200, 'even a POST (never retried) goes through on a fresh connection');
  t.same(JSON.parse(await again.text()), { ok: true });
});

t.test('https: the server certificate is verified', async (t) => {
  const dir = scratchDir('esia-tls-');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=127.0.0.1', '-days', '1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const cert = readFileSync(join(dir, 'cert.pem'));
  const server = await serve(t, (_request, _body, response) => json(response, 200, { secure: true }), (listener) => createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert }, listener));
  const url = `https://127.0.0.1:${server.port}/x`;
  const trusted = createEsiaFetch({ maxBodyChars: MAX_BODY, ca: cert });
  t.same(JSON.parse(await (await trusted(url, init('GET'))).text()), { secure: true });
  t.same(JSON.parse(await (await trusted(url, init('GET'))).text()), { secure: true });
  t.equal(server.seen[1]!.socket, server.seen[0]!.socket, 'one TLS connection for both');
  await t.rejects(createEsiaFetch({ maxBodyChars: MAX_BODY })(url, init('GET')), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, 'an unknown certificate is refused');
});
