import { Agent, request as httpRequest } from 'node:http';
import autocannon from 'autocannon';
import { summarize } from '../stats.js';

export interface Measured {
  /** Successful (2xx) answers per second over the whole run. */
  rps: number;
  p50: number;
  p99: number;
  failed: number;
  /** The serving process's CPU (its own, from /proc) per successful answer, in ms, when measured. */
  cpuMsPerAnswer?: number;
  /** CPU of the Postgres server processes serving the broker's database, per successful answer, in ms. */
  postgresCpuMsPerAnswer?: number;
}

export interface LoadOptions {
  connections: number;
  duration: number;
}

const FORM = 'application/x-www-form-urlencoded';

function measured(result: autocannon.Result): Measured {
  return { rps: Math.round(result['2xx'] / result.duration), p50: result.latency.p50, p99: result.latency.p99, failed: result.non2xx + result.errors + result.timeouts };
}

export async function get(url: string, load: LoadOptions, headers: Record<string, string> = {}): Promise<Measured> {
  return measured(await autocannon({ url, headers, ...load }));
}

export async function postForm(url: string, load: LoadOptions, authorization: string, body: string): Promise<Measured> {
  return measured(await autocannon({ url, method: 'POST', headers: { authorization, 'content-type': FORM }, body, ...load }));
}

/**
 * Refresh as chains: each connection starts from its own login's refresh token and always
 * sends the one it was just given (rotation), as a diary backend does; no pool of one-shot
 * tokens. A chain that breaks (non-200) stops and counts as failed. autocannon resets its
 * per-connection context after every request, so the chains run on node:http keep-alive
 * sockets here (one socket per chain).
 */
export async function refreshChains(url: string, load: LoadOptions, authorization: string, refreshTokens: string[]): Promise<Measured> {
  if (refreshTokens.length < load.connections) throw new Error(`${load.connections} chains need as many refresh tokens, got ${refreshTokens.length}`);
  const agent = new Agent({ keepAlive: true, maxSockets: load.connections });
  const target = new URL(url);
  const latencies: number[] = [];
  let failed = 0;
  const started = performance.now();
  const deadline = started + load.duration * 1000;
  await Promise.all(
    refreshTokens.slice(0, load.connections).map(async (first) => {
      let token = first;
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const { status, body } = await post(agent, target, authorization, `grant_type=refresh_token&refresh_token=${encodeURIComponent(token)}`);
        if (status !== 200) {
          failed++;
          return;
        }
        latencies.push(performance.now() - t0);
        token = (JSON.parse(body) as { refresh_token: string }).refresh_token;
      }
    }),
  );
  agent.destroy();
  const seconds = (performance.now() - started) / 1000;
  const s = summarize(latencies);
  return { rps: Math.round(latencies.length / seconds), p50: Math.round(s.p50), p99: Math.round(s.p99), failed };
}

function post(agent: Agent, url: URL, authorization: string, body: string): Promise<{ status: number; body: string }> {
  return send(agent, url, 'POST', { authorization }, body);
}

/** One request on a keep-alive agent; a form body when `body` is given. The answer as text. */
export function send(agent: Agent, url: URL | string, method: 'GET' | 'POST', headers: Record<string, string>, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const formHeaders = body === undefined ? {} : { 'content-type': FORM, 'content-length': String(Buffer.byteLength(body)) };
    const request = httpRequest(url, { method, agent, headers: { ...headers, ...formHeaders } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}
