import { randomBytes } from 'node:crypto';
import cookie from '@fastify/cookie';
import Fastify, { type FastifyInstance } from 'fastify';
import * as oidc from 'openid-client';
import { z } from 'zod';
import { createDiaryBackend } from './diary-backend.js';
import { errorPage, homePage, profilePage } from './pages.js';

/**
 * A minimal school-diary frontend, written as any diary would be: openid-client with PKCE
 * against the broker's discovery document, and a backend route that validates the access
 * token with jose. It uses nothing of the broker's code.
 */
export interface DiaryAppOptions {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Where this diary is reachable (its redirect and post-logout URIs derive from it). */
  publicUrl: string;
  region?: string | undefined;
  logger?: boolean;
}

interface DemoSession {
  pending?: { state: string; nonce: string; verifier: string };
  idToken?: string;
  accessToken?: string;
  claims?: Record<string, unknown>;
}

const SESSION_COOKIE = 'diary_session';

export async function createDiaryApp(options: DiaryAppOptions): Promise<FastifyInstance> {
  const config = await oidc.discovery(new URL(options.issuer), options.clientId, undefined, oidc.ClientSecretBasic(options.clientSecret), {
    execute: options.issuer.startsWith('http://') ? [oidc.allowInsecureRequests] : [],
  });
  const metadata = config.serverMetadata();
  const backend = createDiaryBackend({ issuer: metadata.issuer, jwksUri: metadata.jwks_uri!, audience: options.clientId });
  const sessions = new Map<string, DemoSession>();
  const redirectUri = `${options.publicUrl}/callback`;

  const app = Fastify({ logger: options.logger ?? false });
  await app.register(cookie);

  const sessionOf = (id: string | undefined): [string, DemoSession] => {
    const existing = id ? sessions.get(id) : undefined;
    if (id && existing) return [id, existing];
    const fresh = randomBytes(18).toString('base64url');
    sessions.set(fresh, {});
    return [fresh, sessions.get(fresh)!];
  };

  app.get('/', async (request, reply) => {
    const policy = await regionPolicy(options.issuer, options.region);
    return reply.type('text/html; charset=utf-8').send(homePage(policy));
  });

  app.get('/login', async (request, reply) => {
    const [id, session] = sessionOf(request.cookies[SESSION_COOKIE]);
    const verifier = oidc.randomPKCECodeVerifier();
    session.pending = { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid profile email diary',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: session.pending.state,
      nonce: session.pending.nonce,
      ...(options.region ? { region: options.region } : {}),
    });
    return reply.setCookie(SESSION_COOKIE, id, { path: '/', httpOnly: true, sameSite: 'lax' }).redirect(url.href);
  });

  app.get('/callback', async (request, reply) => {
    const query = z.object({ error: z.string().optional(), error_description: z.string().optional() }).parse(request.query);
    const [, session] = sessionOf(request.cookies[SESSION_COOKIE]);
    const pending = session.pending;
    delete session.pending;
    if (query.error || !pending) {
      return reply.code(400).type('text/html; charset=utf-8').send(errorPage(query.error ?? 'no_pending_login', query.error_description));
    }
    try {
      const tokens = await oidc.authorizationCodeGrant(config, new URL(request.url, options.publicUrl), {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      session.idToken = tokens.id_token;
      session.accessToken = tokens.access_token;
      session.claims = { ...tokens.claims(), ...(await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub)) };
      return reply.redirect('/me');
    } catch (error) {
      request.log.warn({ err: error }, 'token exchange failed');
      return reply.code(502).type('text/html; charset=utf-8').send(errorPage('token_exchange_failed', undefined));
    }
  });

  app.get('/me', async (request, reply) => {
    const [, session] = sessionOf(request.cookies[SESSION_COOKIE]);
    if (!session.claims || !session.accessToken) return reply.redirect('/');
    const claims = session.claims;
    let backendSubject: string | undefined;
    let backendError: string | undefined;
    // Call our own "diary backend" the way a diary frontend calls its API.
    const api = await app.inject({ method: 'GET', url: '/api/diary', headers: { authorization: `Bearer ${session.accessToken}` } });
    if (api.statusCode === 200) backendSubject = (api.json() as { subject: string }).subject;
    else backendError = `HTTP ${api.statusCode}`;
    const diary = (claims['diary'] ?? {}) as { roles?: string[]; school_ids?: string[]; region?: string };
    return reply.type('text/html; charset=utf-8').send(
      profilePage({
        name: String(claims['name'] ?? [claims['family_name'], claims['given_name'], claims['middle_name']].filter(Boolean).join(' ')),
        roles: diary.roles ?? (claims['roles'] as string[] | undefined) ?? [],
        schools: diary.school_ids ?? (claims['school_ids'] as string[] | undefined) ?? [],
        region: diary.region ?? (claims['region'] as string | undefined),
        level: claims['acr'] as string | undefined,
        backendSubject,
        backendError,
      }),
    );
  });

  app.get('/api/diary', async (request, reply) => {
    try {
      const access = await backend.verify(request.headers.authorization);
      return reply.send({ subject: access.subject, scope: access.scope });
    } catch {
      return reply.code(401).header('www-authenticate', 'Bearer error="invalid_token"').send({ error: 'invalid_token' });
    }
  });

  app.get('/logout', async (request, reply) => {
    const [id, session] = sessionOf(request.cookies[SESSION_COOKIE]);
    const idToken = session.idToken;
    sessions.delete(id);
    if (!idToken || !metadata.end_session_endpoint) return reply.redirect('/');
    return reply.redirect(oidc.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: `${options.publicUrl}/` }).href);
  });

  return app;
}

/** Whether the region still has the diary's password form (the broker's public policy JSON). */
async function regionPolicy(issuer: string, region: string | undefined): Promise<{ passwordFormAvailable: boolean | undefined; regionName: string | undefined }> {
  if (!region) return { passwordFormAvailable: undefined, regionName: undefined };
  try {
    const response = await fetch(`${issuer}/regions/${encodeURIComponent(region)}/policy`, { signal: AbortSignal.timeout(2000) });
    if (!response.ok) return { passwordFormAvailable: undefined, regionName: undefined };
    const body = (await response.json()) as { name?: string; password_form_available?: boolean };
    return { passwordFormAvailable: body.password_form_available, regionName: body.name };
  } catch {
    return { passwordFormAvailable: undefined, regionName: undefined };
  }
}
