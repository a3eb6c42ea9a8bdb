import { readFileSync } from 'node:fs';
import * as oidc from 'openid-client';
import { loadPersonas, parsePersonas, type PersonaInput } from '../../src/emulator/personas.js';
import { DEFAULT_PERSONAS_FILE, type RunningEmulator } from '../../src/emulator/index.js';
import { createHarness } from './accounts.js';
import { startBroker, type TestBroker } from './broker.js';
import { ALL_TEST_SCOPES, Browser, passEsia, sharedDevKeys, startTestEmulator } from './emulator.js';
import { registerClient, type TestClient } from './oidc.js';

/**
 * The whole login over real HTTP: openid-client as the diary frontend, the broker, and the
 * ESIA emulator, with the browser's hops followed by hand. One environment per test file.
 */
export interface FlowEnvironment {
  emulator: RunningEmulator;
  broker: TestBroker;
  client: TestClient;
  config: oidc.Configuration;
  /** Diary profiles, SNILS hashed with the broker's key, passwords with cheap scrypt. */
  harness: ReturnType<typeof createHarness>;
  close(): Promise<void>;
}

export async function startFlowEnvironment(options: { extraPersonas?: PersonaInput[]; region?: string; env?: Record<string, string>; embedded?: boolean } = {}): Promise<FlowEnvironment> {
  const keys = await sharedDevKeys();
  const personas = [...loadPersonas(DEFAULT_PERSONAS_FILE), ...(options.extraPersonas?.length ? parsePersonas({ personas: options.extraPersonas }) : [])];
  const emulator = await startTestEmulator({ personas });
  const broker = await startBroker({
    embedded: options.embedded ?? false,
    // The ESIA leg's whole budget: generous, since the emulator's GOST checks are processes that a
    // loaded machine slows down; tests of ESIA timeouts set their own.
    env: { ESIA_URL: emulator.url, ESIA_CLIENT_ID: 'EDIARY_FLOW', ESIA_TIMEOUT_MS: '10000', ESIA_SCOPES: 'openid fullname birthdate gender snils email mobile id_doc', ...options.env },
  });
  await emulator.registerClient({
    clientId: 'EDIARY_FLOW',
    redirectUris: [`${broker.url}/esia/callback`],
    certificates: [readFileSync(keys.clientCert, 'utf8')],
    scopes: ALL_TEST_SCOPES,
    tokenAlg: 'RS256',
  });
  const client = await registerClient(broker.deps, { regions: [options.region ?? '38'] });
  const config = await oidc.discovery(new URL(broker.url), client.clientId, undefined, oidc.ClientSecretBasic(client.secret), { execute: [oidc.allowInsecureRequests] });
  return {
    emulator,
    broker,
    client,
    config,
    harness: createHarness(broker.deps.database),
    async close() {
      await broker.close();
      await emulator.close();
    },
  };
}

export interface FlowLogin {
  browser: Browser;
  /** Where the login started: /authorize with the client's parameters (or, with PAR, its request_uri). */
  authorizeUrl: URL;
  /** The broker's answer to the ESIA callback (or to a later step). */
  response: Response;
  /** Its body when it is a page. */
  page: string;
  /** Where the broker sent the browser back to the diary, if it did. */
  clientRedirect: URL | undefined;
  /** Exchanges the code like the diary's backend would (PKCE, state and nonce checked). */
  tokens(): Promise<Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>>;
  /** Posts a form of the current page (its hidden fields plus `fields`) and follows the answer. */
  submit(fields: Record<string, string>, marker?: string): Promise<void>;
  /** Follows a link of the current page. */
  follow(href: string): Promise<void>;
}

export interface LoginOptions {
  decision?: 'grant' | 'deny';
  browser?: Browser;
  /** Another client than the environment's (its own openid-client configuration). */
  as?: { config: oidc.Configuration; client: TestClient };
  scope?: string;
  /** Start with a pushed authorization request (buildAuthorizationUrlWithPAR). */
  par?: boolean;
  /** DPoP (RFC 9449): proofs at /par and /token with this handle. */
  dpop?: oidc.DPoPHandle;
}

export function flowLogin(env: FlowEnvironment) {
  return async function login(oid: string, options: LoginOptions = {}): Promise<FlowLogin> {
    const browser = options.browser ?? new Browser();
    const config = options.as?.config ?? env.config;
    const client = options.as?.client ?? env.client;
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const parameters = {
      redirect_uri: client.redirectUri,
      scope: options.scope ?? 'openid profile email diary',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    };
    // PAR (RFC 9126): the parameters go to /par, the browser carries only client_id and request_uri.
    const authorizeUrl = options.par ? await oidc.buildAuthorizationUrlWithPAR(config, parameters, { DPoP: options.dpop }) : oidc.buildAuthorizationUrl(config, parameters);
    const started = await browser.fetch(authorizeUrl.href);
    const esiaUrl = Browser.location(started, authorizeUrl.href);
    const passed = await passEsia(browser, esiaUrl, { oid, decision: options.decision ?? 'grant', callbackPrefix: `${env.broker.url}/esia/callback` });

    const result: FlowLogin = {
      browser,
      authorizeUrl,
      response: undefined as unknown as Response,
      page: '',
      clientRedirect: undefined,
      async tokens() {
        if (!result.clientRedirect) throw new Error(`no redirect to the diary; the broker answered ${result.response.status}`);
        return oidc.authorizationCodeGrant(config, result.clientRedirect, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true }, undefined, { DPoP: options.dpop });
      },
      async submit(fields, marker = 'name="xsrf"') {
        const form = formOf(result.page, marker);
        await land(new URL(form.action, env.broker.url).toString(), { form: { ...form.fields, ...fields } });
      },
      async follow(href) {
        await land(new URL(href.replace(/&amp;/g, '&'), env.broker.url).toString());
      },
    };
    async function land(url: string, init: { form?: Record<string, string> } = {}) {
      const response = await browser.fetch(url, init);
      result.response = response;
      const location = response.headers.get('location');
      result.clientRedirect = response.status === 302 && location?.startsWith(client.redirectUri) ? new URL(location) : undefined;
      result.page = response.status === 302 ? '' : await response.text();
    }
    await land(passed.callbackUrl);
    return result;
  };
}

/** The first form on a page containing marker: its action and hidden fields. */
function formOf(html: string, marker: string): { action: string; fields: Record<string, string> } {
  const form = [...html.matchAll(/<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)].find((m) => m[2]!.includes(marker));
  if (!form) throw new Error(`no form with ${marker} on the page`);
  const fields: Record<string, string> = {};
  for (const input of form[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[input[1]!] = input[2]!;
  return { action: form[1]!, fields };
}

/** The reason code a refusal page shows. */
export function reasonOf(page: string): string | undefined {
  return /data-reason="([a-z_]+)"/.exec(page)?.[1];
}

/** The «back to the diary» link of a refusal page. */
export function backLink(page: string): URL | undefined {
  const href = /<a class="button" href="([^"]+)">Вернуться в электронный дневник<\/a>/.exec(page)?.[1];
  return href ? new URL(href.replace(/&amp;/g, '&')) : undefined;
}
