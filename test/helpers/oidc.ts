import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { hashClientSecret } from '../../src/crypto/secret-hash.js';
import type { Deps } from '../../src/deps.js';
import { completeInteraction, failInteraction } from '../../src/http/oidc/interaction-http.js';
import type { Client } from '../../src/oidc/clients.js';
import type { AuthenticatedProfile, Interaction, InteractionFailure } from '../../src/oidc/interaction.js';
import { createOidcProvider } from '../../src/oidc/provider.js';
import { createPostgresSigningKeyRepo } from '../../src/store/postgres/signing-keys-repo.js';
import { startBroker, type StartBrokerOptions, type TestBroker } from './broker.js';

/**
 * The seam for authorization-server tests until the ESIA leg is wired: a LoginStarter that
 * sends the browser to a test route, which completes (or fails) the interaction as the test
 * says, through the same HTTP helpers the login legs use.
 */
export type TestLoginDecision = { profile: AuthenticatedProfile } | { failure: InteractionFailure };

export interface OidcTestBroker extends TestBroker {
  /** What the next login through the test LoginStarter does. */
  loginAs(decide: (interaction: Interaction) => TestLoginDecision): void;
  /** Interactions the LoginStarter was asked to start (a trip to "ESIA"). */
  started: Interaction[];
  /** Moves the authorization server's clock (codes, sessions, tokens) by ms. */
  advanceClock(ms: number): void;
}

export async function startOidcBroker(options: StartBrokerOptions = {}): Promise<OidcTestBroker> {
  const started: Interaction[] = [];
  let decide: (interaction: Interaction) => TestLoginDecision = () => {
    throw new Error('the test did not say who logs in (loginAs)');
  };
  let skewMs = 0;
  const broker = await startBroker({
    ...options,
    overrides: (deps, url) => {
      // The same provider over the same stores, on a clock the test can move.
      const oidc = createOidcProvider({
        ...deps,
        families: deps.oidc.ctx.families,
        signingKeys: createPostgresSigningKeyRepo(deps.database.db),
        now: () => Date.now() + skewMs,
      });
      return {
      ...options.overrides?.(deps, url),
      oidc,
      interactions: oidc.interactions,
      loginStarter: {
        async start(interaction, alongside = []) {
          await deps.state.putMany(alongside);
          started.push(interaction);
          return `${url}/test/login/${interaction.id}`;
        },
        esiaLogoutUrl: (returnTo) => `https://esia.example/idp/ext/Logout?client_id=TEST&redirect_url=${encodeURIComponent(returnTo)}`,
      },
      };
    },
    routes: (app, deps) => {
      options.routes?.(app, deps);
      app.get('/test/login/:id', async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
        const interaction = await deps.interactions.get(request.params.id);
        if (!interaction) return completeInteraction(request, reply, request.params.id, { profileId: 'x', esiaOid: 'x', level: 'standard', authTime: 0 });
        const decision = decide(interaction);
        if ('failure' in decision) return failInteraction(request, reply, request.params.id, decision.failure);
        return completeInteraction(request, reply, request.params.id, decision.profile);
      });
    },
  });
  return { ...broker, started, loginAs: (fn) => (decide = fn), advanceClock: (ms) => (skewMs += ms) };
}

let profileCounter = 0;

export interface TestProfile {
  id: string;
  region: string;
}

/** Inserts a diary profile (activated, attached to a school) and returns its id. */
export async function insertProfile(deps: Deps, fields: Partial<{ id: string; region: string; lastName: string; firstName: string; middleName: string | null; birthDate: string | null; email: string | null; emailConfirmed: boolean; roles: string[]; schoolIds: string[]; activated: boolean }> = {}): Promise<TestProfile> {
  profileCounter += 1;
  const id = fields.id ?? `p-${profileCounter}-${randomBytes(3).toString('hex')}`;
  const region = fields.region ?? '38';
  await deps.database.db
    .insertInto('profiles')
    .values({
      id,
      login: `login-${id}`,
      last_name: fields.lastName ?? 'Иванова',
      first_name: fields.firstName ?? 'Мария',
      middle_name: fields.middleName === undefined ? 'Петровна' : fields.middleName,
      birth_date: fields.birthDate === undefined ? '2009-03-14' : fields.birthDate,
      email: fields.email === undefined ? `${id}@example.ru` : fields.email,
      email_confirmed: fields.emailConfirmed ?? true,
      roles: JSON.stringify(fields.roles ?? ['student']),
      school_ids: JSON.stringify(fields.schoolIds ?? ['school-1']),
      activated: fields.activated ?? true,
      region,
    })
    .execute();
  return { id, region };
}

export interface TestClient {
  clientId: string;
  secret: string;
  redirectUri: string;
  client: Client;
}

/** Registers a client (confidential client_secret_basic unless told otherwise). */
export async function registerClient(deps: Pick<Deps, 'clients'>, fields: Partial<Client> = {}): Promise<TestClient> {
  const secret = randomBytes(32).toString('base64url');
  const clientId = fields.clientId ?? `client-${randomBytes(4).toString('hex')}`;
  const redirectUri = `https://${clientId}.diary.example/callback`;
  const client: Client = {
    clientId,
    name: `Test diary ${clientId}`,
    authMethod: 'client_secret_basic',
    secretHash: fields.authMethod === 'none' || fields.authMethod === 'private_key_jwt' ? undefined : hashClientSecret(secret),
    jwks: undefined,
    redirectUris: [redirectUri],
    postLogoutRedirectUris: [`https://${clientId}.diary.example/`],
    regions: ['38'],
    allowedScopes: ['openid', 'profile', 'email', 'diary', 'offline_access'],
    allowedResources: ['https://api.diary.example'],
    idTokenAlg: 'ES256',
    refreshTokenTtlSeconds: 3600,
    ...fields,
  };
  await deps.clients.upsert(client);
  return { clientId, secret, redirectUri: client.redirectUris[0]!, client };
}

/**
 * A browser without a browser: a cookie jar, and redirects followed by hand until one
 * leaves the broker (that is the answer to the client).
 */
export class TestBrowser {
  readonly cookies = new Map<string, string>();

  constructor(readonly brokerUrl: string) {}

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (url.startsWith(this.brokerUrl) && this.cookies.size > 0) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) this.store(line);
    return response;
  }

  /** Follows broker redirects; returns the first URL outside the broker, or the final response. */
  async navigate(url: string, init: RequestInit = {}): Promise<{ url: string; response: Response; hops: string[] }> {
    let current = url;
    const hops: string[] = [];
    let response = await this.request(current, init);
    for (let i = 0; i < 10; i += 1) {
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return { url: current, response, hops };
      current = new URL(location, current).toString();
      hops.push(current);
      if (!current.startsWith(this.brokerUrl)) return { url: current, response, hops };
      response = await this.request(current);
    }
    throw new Error('too many redirects');
  }

  private store(line: string): void {
    const [pair, ...attributes] = line.split(';');
    const at = pair!.indexOf('=');
    const name = pair!.slice(0, at).trim();
    const value = pair!.slice(at + 1).trim();
    const expired = attributes.some((a) => /^\s*max-age=0/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]!) < Date.now()));
    if (expired || value === '') this.cookies.delete(name);
    else this.cookies.set(name, value);
  }
}
