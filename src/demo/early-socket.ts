import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyServerFactory } from 'fastify';

/**
 * A port the demo listens on before its app exists, so the app can be told its own URL (port 0
 * included). Until ready() a request gets 503 with Retry-After at once: a browser opened on the
 * printed URL a moment early (or a probe) must not hang on a socket nobody answers.
 */
export interface EarlySocket {
  url: string;
  factory: FastifyServerFactory;
  /** The app is built and ready: from now on it answers every request. */
  ready(): void;
  close(): Promise<void>;
}

const STARTING_PAGE = `<!doctype html><html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta http-equiv="refresh" content="2"><title>Демо запускается</title></head>
<body><p>Демо ещё запускается. Страница обновится сама через несколько секунд.</p></body></html>`;

function answerStarting(request: IncomingMessage, response: ServerResponse): void {
  request.resume();
  response.writeHead(503, { 'content-type': 'text/html; charset=utf-8', 'retry-after': '2', 'cache-control': 'no-store', connection: 'close' });
  response.end(STARTING_PAGE);
}

export async function listenEarly(port: number, host: string): Promise<EarlySocket> {
  let handler: ((request: IncomingMessage, response: ServerResponse) => void) | undefined;
  let isReady = false;
  const server = createServer((request, response) => {
    if (isReady && handler) handler(request, response);
    else answerStarting(request, response);
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      done();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}`,
    factory: (appHandler) => {
      handler = appHandler;
      return server;
    },
    ready: () => {
      if (!handler) throw new Error('listenEarly: ready() before the app took the socket');
      isReady = true;
    },
    close: () =>
      new Promise<void>((done) => {
        if (!server.listening) return done();
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
