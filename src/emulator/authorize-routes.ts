import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomId } from '../crypto/random.js';
import { ENDPOINTS, UUID_PATTERN, v1SignedString, v2AuthorizeString } from '../esia/protocol.js';
import { KNOWN_SCOPES, type EmulatorContext } from './context.js';
import { EsiaFault, esiaError } from './esia-errors.js';
import { consentPage, errorPage, loginPage } from './pages.js';
import { checkTimestamp, verifyCmsSecret, verifyRawSecret } from './registry.js';
import { readParams, singleValues } from './params.js';
import { newCode } from './tokens.js';

/**
 * The browser side (docs/emulator.md): /ac and /v2/ac with every check a
 * real ESIA makes, the persona picker, consent with «Предоставить» / «Отказать», logout.
 * Errors go back to redirect_uri (with state) once the redirect_uri is known to be registered.
 */
export const SESSION_COOKIE = 'esia_emulator_session';

export function registerAuthorizeRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  for (const protocol of ['v1', 'v2'] as const) {
    app.get(ENDPOINTS[protocol].authorize, async (request, reply) => authorize(protocol, request, reply));
  }

  async function authorize(protocol: 'v1' | 'v2', request: FastifyRequest, reply: FastifyReply) {
    const sessionId = request.cookies[SESSION_COOKIE];
    const { values: q, duplicated } = readParams(request.query);
    const client = q['client_id'] ? ctx.registry.get(q['client_id']) : undefined;
    // Only the names actually missing, in brackets, as for every other 007014 (ekapusta/oauth2-esia issue 23).
    const unknownTarget = ['client_id', 'redirect_uri'].filter((name) => !q[name]);
    if (unknownTarget.length > 0) return page(reply, esiaError('007014', unknownTarget.join(', ')).error_description);
    const redirectUri = q['redirect_uri'];
    if (!client || !redirectUri) return page(reply, esiaError('007005').error_description);
    if (!client.redirectUris.includes(redirectUri)) return page(reply, esiaError('007023').error_description);
    const state = q['state'];
    try {
      if (duplicated.length > 0) throw new EsiaFault('007003', duplicated.join(', '));
      if (ctx.faults.maintenance) throw new EsiaFault('007008');
      const required = ['client_secret', 'scope', 'response_type', 'state', 'timestamp', ...(protocol === 'v2' ? ['client_certificate_hash'] : [])];
      const missing = required.filter((name) => !q[name]);
      if (missing.length > 0) throw new EsiaFault('007014', missing.join(', '));
      const p = { clientId: client.clientId, scope: q['scope'] ?? '', scopeOrg: q['scope_org'] ?? '', timestamp: q['timestamp'] ?? '', state: state ?? '', redirectUri };
      if (q['response_type'] !== 'code') throw new EsiaFault('007012');
      if (!UUID_PATTERN.test(p.state)) throw new EsiaFault('007003', 'state');
      const scopes = p.scope.split(' ');
      if (scopes.some((name) => !KNOWN_SCOPES.has(name))) throw new EsiaFault('007006');
      if (scopes.some((name) => !client.scopes.includes(name))) throw new EsiaFault('007019');
      if (q['access_type'] && !['online', 'offline'].includes(q['access_type'])) throw new EsiaFault('007003', 'access_type');
      await ctx.violations.tolerate(request, () => checkTimestamp(p.timestamp, ctx.now(), ctx.settings.timestampWindowMs));
      await ctx.violations.tolerate(request, () =>
        protocol === 'v2'
          ? verifyRawSecret(ctx.openssl, client, q['client_certificate_hash'] ?? '', v2AuthorizeString(p), q['client_secret'] ?? '')
          : verifyCmsSecret(ctx.openssl, client, v1SignedString(p), q['client_secret'] ?? ''),
      );

      const requestId = randomId();
      const personFilter = q['person_filter'] ? Buffer.from(q['person_filter'], 'base64').toString('utf8') : undefined;
      ctx.requests.set(requestId, { protocol, clientId: client.clientId, redirectUri, scope: p.scope, state: p.state, offline: q['access_type'] === 'offline', personFilter }, 15 * 60_000);
      const session = sessionId ? ctx.sessions.get(sessionId) : undefined;
      return reply.redirect(`/${session ? 'consent' : 'login'}?req=${requestId}`);
    } catch (error) {
      if (!(error instanceof EsiaFault)) throw error;
      return reply.redirect(withParams(redirectUri, { ...esiaError(error.code, error.detail), ...(state ? { state } : {}) }));
    }
  }

  app.get('/login', async (request, reply) => {
    const q = singleValues(request.query);
    if (!q['req'] || !ctx.requests.get(q['req'])) return page(reply, 'Запрос на вход устарел или не найден.');
    return reply.type('text/html; charset=utf-8').send(loginPage(q['req'], [...ctx.personas.values()]));
  });

  app.post('/login', async (request, reply) => {
    const body = singleValues(request.body);
    const persona = body['oid'] ? ctx.personas.get(body['oid']) : undefined;
    if (!body['req'] || !ctx.requests.get(body['req']) || !persona) return page(reply, 'Запрос на вход устарел или пользователь не найден.');
    const sessionId = randomId();
    ctx.sessions.set(sessionId, { oid: persona.oid, sid: randomId(), authTime: Math.floor(ctx.now() / 1000) }, ctx.settings.sessionTtlMs);
    reply.setCookie(SESSION_COOKIE, sessionId, { path: '/', httpOnly: true, sameSite: 'lax' });
    return reply.redirect(`/consent?req=${body['req']}`);
  });

  app.get('/consent', async (request, reply) => {
    const q = singleValues(request.query);
    const authRequest = q['req'] ? ctx.requests.get(q['req']) : undefined;
    const session = sessionFrom(request.cookies[SESSION_COOKIE]);
    if (!q['req'] || !authRequest) return page(reply, 'Запрос на вход устарел или не найден.');
    const persona = session ? ctx.personas.get(session.oid) : undefined;
    if (!persona) return reply.redirect(`/login?req=${q['req']}`);
    return reply.type('text/html; charset=utf-8').send(consentPage(q['req'], persona, authRequest.clientId, authRequest.scope));
  });

  app.post('/consent', async (request, reply) => {
    const body = singleValues(request.body);
    const session = sessionFrom(request.cookies[SESSION_COOKIE]);
    const authRequest = body['req'] ? ctx.requests.take(body['req']) : undefined;
    if (!authRequest || !session) return page(reply, 'Запрос на вход устарел или не найден.');
    const persona = ctx.personas.get(session.oid);
    const back = (params: Record<string, string>) => reply.redirect(withParams(authRequest.redirectUri, { ...params, state: authRequest.state }));
    if (body['decision'] !== 'grant') return back({ ...esiaError('007004') });
    if (!persona || !passesFilter(authRequest.personFilter, persona.trusted, persona.lvl)) return back({ ...esiaError('007055') });
    const code = newCode();
    ctx.codes.set(code, { clientId: authRequest.clientId, redirectUri: authRequest.redirectUri, scope: authRequest.scope, oid: persona.oid, sid: session.sid, authTime: session.authTime, offline: authRequest.offline }, ctx.settings.codeTtlMs);
    return back({ code });
  });

  // §1: the parameter is redirect_url. [?] Whether ESIA restricts it is unknown: by default any
  // http(s) URL; with strictLogoutRedirect it must share an origin with a registered redirect_uri.
  app.get(ENDPOINTS.logout, async (request, reply) => {
    const q = singleValues(request.query);
    const client = q['client_id'] ? ctx.registry.get(q['client_id']) : undefined;
    const target = q['redirect_url'];
    const allowed = target && /^https?:\/\//.test(target) && (!ctx.settings.strictLogoutRedirect || client?.redirectUris.some((uri) => sameOrigin(uri, target)));
    if (!client || !target || !allowed) return page(reply, esiaError('007014', 'client_id, redirect_url').error_description);
    const sessionId = request.cookies[SESSION_COOKIE];
    if (sessionId) ctx.sessions.delete(sessionId);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect(target);
  });

  function sessionFrom(id: string | undefined) {
    return id ? ctx.sessions.get(id) : undefined;
  }
}

function passesFilter(filter: string | undefined, trusted: boolean, lvl: string | undefined): boolean {
  if (filter === 'conf_acc') return trusted;
  if (filter === 'acc_kid') return lvl === 'KD';
  if (filter === 'acc_not_kid') return lvl !== 'KD';
  return true;
}

function page(reply: FastifyReply, text: string) {
  return reply.code(400).type('text/html; charset=utf-8').send(errorPage(text));
}

export function withParams(base: string, params: Record<string, string>): string {
  const url = new URL(base);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.toString();
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}
