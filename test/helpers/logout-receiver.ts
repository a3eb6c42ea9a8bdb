import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A logout token as a client's back-channel endpoint received it. */
export interface ReceivedLogout {
  token: string;
  contentType: string | undefined;
  at: number;
}

/**
 * A relying party's `backchannel_logout_uri` on a real socket: records every logout_token
 * POSTed to it. `answer` decides each reply (status and an optional delay); `down()` closes
 * the socket (connection refused) and `up()` listens again on the same port.
 */
export async function startLogoutReceiver() {
  const received: ReceivedLogout[] = [];
  const waiters: Array<() => void> = [];
  let answer: () => { status: number; delayMs?: number } = () => ({ status: 200 });
  let answeredSlow = 0;
  // Replies held back by a delay, each with the function that sends it now.
  const held = new Map<NodeJS.Timeout, () => void>();
  let server: Server | undefined;
  let port = 0;

  async function up(): Promise<void> {
    server = createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        const reply = answer();
        received.push({ token: new URLSearchParams(body).get('logout_token') ?? '', contentType: request.headers['content-type'], at: Date.now() });
        for (const wake of waiters.splice(0)) wake();
        const send = () => {
          clearTimeout(timer);
          held.delete(timer);
          if (reply.delayMs) answeredSlow += 1;
          response.writeHead(reply.status, { 'cache-control': 'no-store' }).end();
        };
        const timer = setTimeout(send, reply.delayMs ?? 0);
        held.set(timer, send);
      });
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  }

  async function down(): Promise<void> {
    const closing = server;
    server = undefined;
    if (!closing) return;
    closing.closeAllConnections();
    await new Promise<void>((resolve) => closing.close(() => resolve()));
  }

  await up();
  return {
    url: `http://127.0.0.1:${port}/backchannel-logout`,
    received,
    /** How many replies were held back by a delay and have gone out. */
    slowAnswersSent: () => answeredSlow,
    answerWith(fn: () => { status: number; delayMs?: number }) {
      answer = fn;
    },
    /**
     * Back to prompt 200s, the replies still held back sent now: a slow reply left running
     * keeps the broker's delivery waiting (the next test's token queues behind it, and closing
     * the broker waits for it).
     */
    answerPromptly() {
      answer = () => ({ status: 200 });
      for (const send of [...held.values()]) send();
    },
    /** Resolves when `count` tokens have arrived in total (fails after timeoutMs). */
    async waitFor(count: number, timeoutMs = 30_000): Promise<ReceivedLogout[]> {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} logout tokens, got ${received.length}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 250);
        });
      }
      return received.slice(0, count);
    },
    up,
    down,
    close: down,
  };
}
