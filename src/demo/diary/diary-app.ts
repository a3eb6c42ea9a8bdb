import cookie from '@fastify/cookie';
import Fastify, { type FastifyInstance, type FastifyServerFactory } from 'fastify';
import * as oidc from 'openid-client';
import { z } from 'zod';
import { createDiaryBackend } from './diary-backend.js';
import { errorPage, homePage, profilePage, type RegionNote } from './pages.js';
import { createSessions } from './sessions.js';

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
  /** The diary's own school names, by the ids the broker's `school_ids` claim carries. */
  schoolNames?: Readonly<Record<string, string>>;
  /** The diary's own record of pupils' classes, by `sub` (classes are no claim). */
  classesOf?: Readonly<Record<string, readonly string[]>>;
  logger?: boolean;
  /** A server already listening (port 0 in tests), so publicUrl is known up front. */
  serverFactory?: FastifyServerFactory;
}

const SESSION_COOKIE = 'diary_session';
const callbackQuery = z.object({ error: z.string().max(200).optional(), error_description: z.string().max(1000).optional() });

export async function createDiaryApp(options: DiaryAppOptions): Promise<FastifyInstance> {
  const config = await oidc.discovery(new URL(options.issuer), options.clientId, undefined, oidc.ClientSecretBasic(options.clientSecret), {
    execute: options.issuer.startsWith('http://') ? [oidc.allowInsecureRequests] : [],
  });
  const metadata = config.serverMetadata();
  const backend = createDiaryBackend({ issuer: metadata.issuer, jwksUri: metadata.jwks_uri!, audience: options.clientId });
  const sessions = createSessions();
  const publicUrl = options.publicUrl.replace(/\/+$/, '');
  const redirectUri = `${publicUrl}/callback`;
  const html = 'text/html; charset=utf-8';

  // Request lines without their query: /callback carries the authorization code.
  const logger = options.logger ? { serializers: { req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url.split('?')[0] }) } } : false;
  const app = Fastify({ logger, forceCloseConnections: true, ...(options.serverFactory ? { serverFactory: options.serverFactory } : {}) });
  await app.register(cookie);
  const cookieOptions = { path: '/', httpOnly: true, sameSite: 'lax' as const };

  app.get('/healthz', async () => ({ ok: true }));

  app.get('/', async (request, reply) => {
    const session = sessions.find(request.cookies[SESSION_COOKIE]);
    const note = await regionNote(metadata.issuer, options.region);
    return reply.type(html).send(homePage(note, Boolean(session?.claims)));
  });

  app.get('/login', async (request, reply) => {
    const [id, session] = sessions.open(request.cookies[SESSION_COOKIE]);
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
    return reply.setCookie(SESSION_COOKIE, id, cookieOptions).redirect(url.href);
  });

  app.get('/callback', async (request, reply) => {
    const parsed = callbackQuery.safeParse(request.query);
    const query = parsed.success ? parsed.data : { error: 'invalid_request', error_description: undefined };
    const session = sessions.find(request.cookies[SESSION_COOKIE]);
    const pending = session?.pending;
    if (session) delete session.pending;
    if (query.error || !session || !pending) {
      return reply.code(400).type(html).send(errorPage(query.error ?? 'no_pending_login', query.error_description));
    }
    try {
      // openid-client checks state, iss (RFC 9207), PKCE, nonce and the id_token.
      const tokens = await oidc.authorizationCodeGrant(config, new URL(request.url, publicUrl), {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      const idClaims = tokens.claims()!;
      session.idToken = tokens.id_token;
      session.accessToken = tokens.access_token;
      session.claims = { ...idClaims, ...(await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub)) };
      return reply.redirect('/me');
    } catch (error) {
      request.log.warn({ err: error }, 'token exchange failed');
      return reply.code(502).type(html).send(errorPage('token_exchange_failed', undefined));
    }
  });

  app.get('/me', async (request, reply) => {
    const session = sessions.find(request.cookies[SESSION_COOKIE]);
    if (!session?.claims || !session.accessToken) return reply.redirect('/');
    const claims = session.claims;
    // Our own "diary backend", called the way a diary frontend calls its API.
    const api = await app.inject({ method: 'GET', url: '/api/diary', headers: { authorization: `Bearer ${session.accessToken}` } });
    const backend = api.statusCode === 200 ? { subject: (api.json() as { subject: string }).subject } : { error: `HTTP ${api.statusCode}` };
    const strings = (value: unknown) => (Array.isArray(value) ? value.map(String) : []);
    return reply.type(html).send(
      profilePage({
        name: String(claims['name'] ?? [claims['family_name'], claims['given_name'], claims['middle_name']].filter(Boolean).join(' ')),
        roles: strings(claims['roles']),
        schools: strings(claims['school_ids']).map((id) => options.schoolNames?.[id] ?? `организация ${id}`),
        classes: [...(options.classesOf?.[String(claims['sub'])] ?? [])],
        region: typeof claims['region'] === 'string' ? claims['region'] : undefined,
        level: typeof claims['acr'] === 'string' ? claims['acr'] : undefined,
        backendSubject: backend.subject,
        backendError: backend.error,
      }),
    );
  });

  app.get('/api/diary', async (request, reply) => {
    try {
      const access = await backend.verify(request.headers.authorization);
      return reply.send({ subject: access.subject, scope: access.scope, roles: access.claims['roles'] ?? [] });
    } catch {
      return reply.code(401).header('www-authenticate', 'Bearer error="invalid_token"').send({ error: 'invalid_token' });
    }
  });

  app.get('/logout', async (request, reply) => {
    const idToken = sessions.end(request.cookies[SESSION_COOKIE])?.idToken;
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    if (!idToken || !metadata.end_session_endpoint) return reply.redirect('/');
    return reply.redirect(oidc.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: `${publicUrl}/` }).href);
  });

  return app;
}

const regionPolicy = z.object({
  name: z.string().optional(),
  mode: z.string(),
  adult_age: z.number().int().default(18),
  groups: z.array(z.object({ role: z.string(), age_band: z.string(), password_form: z.boolean() })),
});

/**
 * The broker's public region policy (GET {issuer}/regions/{code}): whether this diary should
 * still offer its own password form next to «Войти через госуслуги», and to whom.
 */
async function regionNote(issuer: string, region: string | undefined): Promise<RegionNote | undefined> {
  if (!region) return undefined;
  try {
    const response = await fetch(`${issuer.replace(/\/+$/, '')}/regions/${encodeURIComponent(region)}`, { signal: AbortSignal.timeout(2000) });
    if (!response.ok) return undefined;
    const policy = regionPolicy.parse(await response.json());
    const withForm = policy.groups.filter((g) => g.password_form);
    return { regionName: policy.name ?? region, mode: policy.mode, adultAge: policy.adult_age, passwordFormFor: withForm.map((g) => ({ role: g.role, ageBand: g.age_band })), everyone: withForm.length === policy.groups.length };
  } catch {
    return undefined;
  }
}
