import * as oidc from 'openid-client';
import type { Test } from 'tap';
import { Browser, passEsia } from './emulator.js';
import type { FlowEnvironment } from './login-flow.js';

/**
 * Logins and token calls cut into steps, so a fault test can break a backing service between
 * any two of them: /authorize → ESIA → (break here) → /esia/callback → code → /token.
 */
export interface StartedLogin {
  browser: Browser;
  callbackUrl: string;
  verifier: string;
  state: string;
  nonce: string;
}

export async function authorizeUrl(env: FlowEnvironment, login: Pick<StartedLogin, 'verifier' | 'state' | 'nonce'>): Promise<string> {
  return oidc.buildAuthorizationUrl(env.config, {
    redirect_uri: env.client.redirectUri,
    scope: 'openid profile diary',
    code_challenge: await oidc.calculatePKCECodeChallenge(login.verifier),
    code_challenge_method: 'S256',
    state: login.state,
    nonce: login.nonce,
  }).href;
}

/** /authorize and the person's part at ESIA; the callback is not yet called. */
export async function beginLogin(env: FlowEnvironment, oid: string, browser = new Browser()): Promise<StartedLogin> {
  const login = { verifier: oidc.randomPKCECodeVerifier(), state: oidc.randomState(), nonce: oidc.randomNonce() };
  const url = await authorizeUrl(env, login);
  const esiaUrl = Browser.location(await browser.fetch(url), url);
  return { ...login, browser, ...(await throughEsia(env, browser, esiaUrl, oid)) };
}

export async function throughEsia(env: FlowEnvironment, browser: Browser, url: string, oid: string): Promise<{ callbackUrl: string }> {
  const passed = await passEsia(browser, url, { oid, callbackPrefix: `${env.broker.url}/esia/callback` });
  return { callbackUrl: passed.callbackUrl };
}

/** The browser's request, timed. */
export async function timedFetch(browser: Browser, url: string): Promise<{ response: Response; ms: number; page: string }> {
  const began = performance.now();
  const response = await browser.fetch(url);
  const page = response.status >= 300 && response.status < 400 ? '' : await response.text();
  return { response, ms: Math.round(performance.now() - began), page };
}

/** The diary's backend exchanging the code the callback sent back. */
export async function exchange(env: FlowEnvironment, login: StartedLogin, response: Response) {
  const location = response.headers.get('location');
  if (response.status !== 302 || !location?.startsWith(env.client.redirectUri)) throw new Error(`no code for the diary: ${response.status} ${location ?? ''}`);
  return oidc.authorizationCodeGrant(env.config, new URL(location), { pkceCodeVerifier: login.verifier, expectedState: login.state, expectedNonce: login.nonce, idTokenExpected: true });
}

/** A raw POST /token refresh (the status and body on the wire, not openid-client's exception). */
export async function refreshRaw(env: FlowEnvironment, refreshToken: string): Promise<{ status: number; body: Record<string, unknown>; ms: number; retryAfter: string | null }> {
  const began = performance.now();
  const response = await fetch(`${env.broker.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${env.client.clientId}:${env.client.secret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, ms: Math.round(performance.now() - began), retryAfter: response.headers.get('retry-after') };
}

export async function userinfoRaw(env: FlowEnvironment, accessToken: string): Promise<{ status: number; body: Record<string, unknown>; ms: number }> {
  const began = performance.now();
  const response = await fetch(`${env.broker.url}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, ms: Math.round(performance.now() - began) };
}

export async function readiness(env: FlowEnvironment): Promise<{ status: number; failed: string[] }> {
  const response = await fetch(`${env.broker.url}/readyz`);
  const body = (await response.json()) as { failed?: string[] };
  return { status: response.status, failed: body.failed ?? [] };
}

/** /readyz until it is green again (the clients reconnect by themselves), at most ~10 s. */
export async function untilReady(env: FlowEnvironment): Promise<number> {
  let status = 0;
  for (let i = 0; i < 100 && status !== 200; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    status = (await readiness(env)).status;
  }
  return status;
}

/** The links of the unavailable page: «Попробовать ещё раз» and «Вернуться в электронный дневник». */
export function unavailableLinks(page: string): { retry: string | undefined; back: URL | undefined } {
  const href = (label: string) => new RegExp(`<a class="button[^"]*" href="([^"]+)">${label}</a>`).exec(page)?.[1]?.replace(/&amp;/g, '&');
  const back = href('Вернуться в электронный дневник');
  return { retry: href('Попробовать ещё раз'), back: back ? new URL(back) : undefined };
}

/** What a broken backing service must still allow: an answer within this, never a hang. */
export const ANSWER_WITHIN_MS = 2000;

/**
 * A browser endpoint while a store is down: the Russian 503 page, in time, never blamed on the
 * request. `healthyMs`: what the same step costs with every service up (the callback's ESIA leg
 * comes before Postgres), so only the outage's share is held to the bound, whatever the load.
 */
export function assertUnavailablePage(t: Test, answer: { response: Response; ms: number; page: string }, where: string, healthyMs = 0): void {
  t.equal(answer.response.status, 503, `${where}: 503`);
  t.ok(answer.ms < ANSWER_WITHIN_MS + healthyMs, `${where}: answered in ${answer.ms} ms (healthy: ${healthyMs} ms)`);
  t.equal(answer.response.headers.get('cache-control'), 'no-store');
  t.match(answer.page, /Сервис входа временно недоступен/, `${where}: the Russian «temporarily unavailable» page`);
  t.match(answer.page, /data-error="temporarily_unavailable"/);
  t.notMatch(answer.page, /составлен неверно|устарел/, `${where}: not blamed on the request`);
}

/** /token and /userinfo while `cause` is down: 503 temporarily_unavailable in time, /token naming the cause. */
export async function assertApiUnavailable(t: Test, env: FlowEnvironment, tokens: { refresh_token?: string; access_token: string }, cause: 'redis' | 'postgres'): Promise<void> {
  const refreshed = await refreshRaw(env, tokens.refresh_token!);
  t.equal(refreshed.status, 503, '/token: 503');
  t.equal(refreshed.body['error'], 'temporarily_unavailable');
  t.match(refreshed.body['error_description'], new RegExp(cause), '/token: names the cause');
  t.equal(refreshed.retryAfter, '5');
  t.ok(refreshed.ms < ANSWER_WITHIN_MS, `/token answered in ${refreshed.ms} ms`);

  const info = await userinfoRaw(env, tokens.access_token);
  t.equal(info.status, 503, '/userinfo: 503');
  t.equal(info.body['error'], 'temporarily_unavailable');
  t.ok(info.ms < ANSWER_WITHIN_MS, `/userinfo answered in ${info.ms} ms`);
}
