import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomId } from '../crypto/random.js';
import { ENDPOINTS, UUID_PATTERN, v1SignedString, v3RefreshString, v3TokenString } from '../esia/protocol.js';
import type { EmulatorContext } from './context.js';
import { EsiaFault, esiaError } from './esia-errors.js';
import { readParams } from './params.js';
import { checkTimestamp, verifyCmsSecret, verifyRawSecret, type RegisteredClient } from './registry.js';
import { mintTokens, type Grant } from './tokens.js';

/**
 * The token endpoints (docs/emulator.md): form-encoded only (a JSON body
 * is ESIA-007014), the exact signed string verified against the registered certificate,
 * single-use codes bound to client, redirect_uri and scope; the request's state echoed back.
 */
export function registerTokenRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  for (const protocol of ['v1', 'v2'] as const) {
    app.post(ENDPOINTS[protocol].token, async (request, reply) => {
      const state = stateOf(request.body);
      try {
        if (!isForm(request)) throw new EsiaFault('007014', 'state, client_id');
        const body = await exchange(protocol, request);
        // Fault: a well-formed state that is not the one this request sent (§7 "State checks").
        return reply.header('cache-control', 'no-store').send({ ...body, ...(ctx.faults.wrongState ? { state: randomId() } : {}) });
      } catch (error) {
        if (!(error instanceof EsiaFault)) throw error;
        return sendFault(reply, error, state);
      }
    });
  }

  async function exchange(protocol: 'v1' | 'v2', request: FastifyRequest) {
    const { values: q, duplicated } = readParams(request.body);
    if (duplicated.length > 0) throw new EsiaFault('007003', duplicated.join(', '));
    const grantType = q['grant_type'];
    if (grantType !== 'authorization_code' && !(protocol === 'v2' && (grantType === 'refresh_token' || grantType === 'client_credentials'))) {
      throw new EsiaFault(grantType ? '007009' : '007014', grantType ? undefined : 'grant_type');
    }
    const required = ['client_id', 'client_secret', 'state', 'scope', 'timestamp', 'token_type'];
    if (grantType === 'authorization_code') required.push('code', 'redirect_uri');
    if (grantType === 'refresh_token') required.push('refresh_token', ...(ctx.settings.refreshString === 'ilimurzin' ? ['redirect_uri'] : []));
    if (grantType === 'client_credentials') required.push('redirect_uri');
    if (protocol === 'v2' && !(grantType === 'refresh_token' && ctx.settings.refreshString === 'aisgorod')) required.push('client_certificate_hash');
    const missing = required.filter((name) => !q[name]);
    if (missing.length > 0) throw new EsiaFault('007014', missing.join(', '));
    if (q['token_type'] !== 'Bearer') throw new EsiaFault('007003', 'token_type');
    const client = ctx.registry.get(q['client_id'] ?? '');
    if (!client) throw new EsiaFault('007005');
    const p = { clientId: client.clientId, scope: q['scope'] ?? '', scopeOrg: q['scope_org'] ?? '', timestamp: q['timestamp'] ?? '', state: q['state'] ?? '', redirectUri: q['redirect_uri'] ?? '' };
    if (!UUID_PATTERN.test(p.state)) throw new EsiaFault('007003', 'state');
    if (p.redirectUri && !client.redirectUris.includes(p.redirectUri)) throw new EsiaFault('007023');
    await ctx.violations.tolerate(request, () => checkTimestamp(p.timestamp, ctx.now(), ctx.settings.timestampWindowMs));
    const secret = q['client_secret'] ?? '';
    const hash = q['client_certificate_hash'] ?? '';

    if (grantType === 'authorization_code') {
      const code = q['code'] ?? '';
      await ctx.violations.tolerate(request, () =>
        protocol === 'v2' ? verifyRawSecret(ctx.openssl, client, hash, v3TokenString({ ...p, code }), secret) : verifyCmsSecret(ctx.openssl, client, v1SignedString(p), secret),
      );
      const grant = ctx.codes.take(code);
      if (!grant || grant.clientId !== client.clientId || grant.redirectUri !== p.redirectUri || grant.scope !== p.scope) throw new EsiaFault('007011');
      return issue(client, grant, p.state, grant.redirectUri);
    }
    if (grantType === 'refresh_token') {
      const refreshToken = q['refresh_token'] ?? '';
      const signed = v3RefreshString(ctx.settings.refreshString, { ...p, refreshToken });
      await ctx.violations.tolerate(request, () => (ctx.settings.refreshString === 'ilimurzin' ? verifyRawSecret(ctx.openssl, client, hash, signed, secret) : verifyAnyGost(client, signed, secret)));
      const grant = ctx.refreshTokens.take(refreshToken); // rotates: the old one is gone
      if (!grant || grant.clientId !== client.clientId || grant.scope !== p.scope) throw new EsiaFault('007011');
      return issue(client, grant, p.state, grant.redirectUri);
    }
    // client_credentials (ofstudio TokenUpdate): scope prm_chg?oid=<oid>, access token only.
    await ctx.violations.tolerate(request, () => verifyRawSecret(ctx.openssl, client, hash, p.clientId + p.scope + p.timestamp + p.state + p.redirectUri, secret));
    const oid = /^prm_chg\?oid=(\d+)$/.exec(p.scope)?.[1];
    if (!oid || !ctx.personas.has(oid)) throw new EsiaFault('007006');
    const { accessToken } = await mint(client, { clientId: client.clientId, oid, scope: p.scope, sid: '', authTime: 0, offline: false });
    ctx.accessTokens.set(accessToken, { clientId: client.clientId, oid, scope: p.scope, sid: '', authTime: 0, offline: false }, ctx.settings.accessTtlSec * 1000);
    return { access_token: accessToken, state: p.state, token_type: 'Bearer', expires_in: ctx.settings.accessTtlSec };
  }

  async function verifyAnyGost(client: RegisteredClient, signed: string, secret: string) {
    for (const cert of client.certs) {
      const ok = await verifyRawSecret(ctx.openssl, client, cert.hash, signed, secret).then(() => true, () => false);
      if (ok) return;
    }
    throw new EsiaFault('007053');
  }

  async function mint(client: RegisteredClient, grant: Grant) {
    const persona = ctx.personas.get(grant.oid);
    if (!persona) throw new EsiaFault('007011');
    return mintTokens(
      { openssl: ctx.openssl, keys: ctx.keys.current, alg: client.tokenAlg, issuer: ctx.issuer, nowSec: Math.floor(ctx.now() / 1000), accessTtlSec: ctx.settings.accessTtlSec, idTtlSec: ctx.settings.idTtlSec },
      grant,
      persona,
    );
  }

  async function issue(client: RegisteredClient, grant: Grant, state: string, redirectUri: string) {
    const tokens = await mint(client, grant);
    const clean: Grant = { clientId: grant.clientId, oid: grant.oid, scope: grant.scope, sid: grant.sid, authTime: grant.authTime, offline: grant.offline };
    ctx.accessTokens.set(tokens.accessToken, clean, ctx.settings.accessTtlSec * 1000);
    if (tokens.refreshToken) ctx.refreshTokens.set(tokens.refreshToken, { ...clean, redirectUri }, 30 * 24 * 3600_000);
    return {
      access_token: tokens.accessToken,
      ...(tokens.refreshToken ? { refresh_token: tokens.refreshToken } : {}),
      ...(tokens.idToken ? { id_token: tokens.idToken } : {}),
      state,
      token_type: 'Bearer',
      expires_in: ctx.settings.accessTtlSec,
    };
  }
}

function isForm(request: FastifyRequest): boolean {
  return (request.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
}

function stateOf(body: unknown): string | undefined {
  const state = body && typeof body === 'object' && !Buffer.isBuffer(body) ? (body as Record<string, unknown>)['state'] : undefined;
  return typeof state === 'string' ? state : undefined;
}

/** Token errors: HTTP 400 JSON with the state when there was one (§7); 007007/007008 as 5xx. */
export function sendFault(reply: FastifyReply, fault: EsiaFault, state: string | undefined) {
  const status = fault.code === '007008' ? 503 : fault.code === '007007' ? 500 : 400;
  return reply.code(status).header('cache-control', 'no-store').send(esiaError(fault.code, fault.detail, state));
}
