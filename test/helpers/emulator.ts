import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, connect, type Socket, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { ensureDevKeys, type DevKeyPaths } from '../../src/esia/dev-keys.js';
import { INTERACTION_COOKIE, type Interaction, type LoginStarter } from '../../src/oidc/interaction.js';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator/index.js';
import { DEFAULT_GOST_ENGINE, createOpenssl, gostConf, type Openssl } from '../../src/esia/openssl.js';
import { createSigner } from '../../src/esia/signers.js';

/** GOST helpers for tests: our openssl wrapper, and an independent CLI call to check it against. */
export function testOpenssl(): Openssl {
  return createOpenssl({ bin: 'openssl', enginePath: DEFAULT_GOST_ENGINE });
}

let conf: string | undefined;
/** Runs openssl synchronously with the gost engine, outside our code: the reference to check against. */
export function opensslCli(args: string[], input?: Buffer | string): Buffer {
  if (!conf) {
    conf = join(mkdtempSync(join(tmpdir(), 'gost-cli-')), 'gost.cnf');
    writeFileSync(conf, gostConf(DEFAULT_GOST_ENGINE));
  }
  return execFileSync('openssl', args, { input: input ?? '', env: { ...process.env, OPENSSL_CONF: conf }, stdio: ['pipe', 'pipe', 'pipe'] });
}

export function scratchDir(prefix = 'esia-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

let sharedKeys: Promise<DevKeyPaths> | undefined;
/**
 * One set of development keys per test process (GOST client key, ESIA token keys), shared by
 * every broker and emulator a test file starts: generating them costs ~0.5 s.
 */
export function sharedDevKeys(): Promise<DevKeyPaths> {
  sharedKeys ??= ensureDevKeys(testOpenssl(), join(scratchDir('esia-keys-'), 'esia-dev'));
  return sharedKeys;
}

/** The emulator with the shared development keys and the bundled personas. */
export async function startTestEmulator(options: Omit<EmulatorOptions, 'tokenKeys'> = {}): Promise<RunningEmulator> {
  const keys = await sharedDevKeys();
  return startEmulator({ tokenKeys: { devKeysDir: dirname(keys.clientKey) }, ...options });
}

export const ALL_TEST_SCOPES = ['openid', 'fullname', 'birthdate', 'gender', 'snils', 'email', 'mobile', 'id_doc', 'birth_cert_doc', 'contacts', 'addresses', 'usr_org'];

/**
 * A browser in a few lines: a cookie jar by host (browsers ignore ports for cookies) and manual
 * redirects, so tests see every hop between the broker and the emulator.
 */
export class Browser {
  private readonly jar = new Map<string, Map<string, string>>();

  setCookie(url: string, name: string, value: string): void {
    const host = new URL(url).hostname;
    if (!this.jar.has(host)) this.jar.set(host, new Map());
    this.jar.get(host)!.set(name, value);
  }

  async fetch(url: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Response> {
    const host = new URL(url).hostname;
    const cookies = [...(this.jar.get(host) ?? new Map<string, string>())].map(([k, v]) => `${k}=${v}`).join('; ');
    const response = await fetch(url, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      redirect: 'manual',
      headers: { accept: 'text/html', ...init.headers, ...(cookies ? { cookie: cookies } : {}), ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const at = pair.indexOf('=');
      const expired = attributes.some((a) => /^\s*(max-age=0|expires=thu, 01 jan 1970)/i.test(a));
      if (expired) this.jar.get(host)?.delete(pair.slice(0, at).trim());
      else this.setCookie(url, pair.slice(0, at).trim(), pair.slice(at + 1).trim());
    }
    return response;
  }

  /** The Location of a redirect, resolved against the request URL; fails the test otherwise. */
  static location(response: Response, from: string): string {
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) throw new Error(`expected a redirect from ${from}, got ${response.status}`);
    return new URL(location, from).toString();
  }
}

/** The hidden inputs of the first form on a page that contains `marker` (e.g. a persona oid). */
export function formFields(html: string, marker: string): { action: string; fields: Record<string, string> } {
  const form = [...html.matchAll(/<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)].find((m) => m[2]!.includes(marker));
  if (!form) throw new Error(`no form with ${marker}`);
  const fields: Record<string, string> = {};
  for (const input of form[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[input[1]!] = input[2]!;
  return { action: form[1]!, fields };
}

/**
 * Walks the browser through the emulator from `url` (the broker's ESIA redirect): picks the
 * persona on the login page, presses «Предоставить» or «Отказать» on the consent page, follows
 * every redirect (the broker's /esia/login relay included) and stops at the broker's callback.
 */
export async function passEsia(browser: Browser, url: string, choice: { oid: string; decision?: 'grant' | 'deny'; callbackPrefix: string }): Promise<{ callbackUrl: string; sawLoginPage: boolean }> {
  let sawLoginPage = false;
  for (let hop = 0; hop < 12; hop++) {
    if (url.startsWith(choice.callbackPrefix)) return { callbackUrl: url, sawLoginPage };
    const response = await browser.fetch(url);
    if (response.status >= 300 && response.status < 400) {
      url = Browser.location(response, url);
      continue;
    }
    const html = await response.text();
    if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${html.slice(0, 300)}`);
    const form = html.includes('name="oid"') ? formFields(html, `value="${choice.oid}"`) : html.includes('Предоставить') ? formFields(html, `value="${choice.decision ?? 'grant'}"`) : undefined;
    if (!form) throw new Error(`unexpected page at ${url}`);
    if (html.includes('name="oid"')) sawLoginPage = true;
    const posted = await browser.fetch(new URL(form.action, url).toString(), { form: form.fields });
    url = Browser.location(posted, url);
  }
  throw new Error('too many redirects');
}

/** A TCP proxy in front of the emulator that can be cut (connection refused) and restored: "ESIA is down". */
export async function startCuttableProxy(targetUrl: string) {
  const target = new URL(targetUrl);
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    async cut() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
    async restore() {
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function testInteraction(overrides: Partial<Interaction> = {}): Interaction {
  return { id: randomUUID(), clientId: 'diary', redirectUri: 'https://diary.example.ru/callback', state: 'client-state', nonce: undefined, scope: ['openid'], codeChallenge: 'x', resource: [], region: '77', forceLogin: false, createdAt: Date.now(), ...overrides };
}

export interface LoginOptions {
  browser?: Browser;
  interaction?: Interaction;
  /** Runs after ESIA sent the browser back, before the callback reaches the broker. */
  beforeCallback?: () => Promise<void> | void;
}

/**
 * /authorize's part (an interaction, the signed eb_interaction cookie, LoginStarter.start),
 * then the browser through ESIA and back to the broker's callback.
 */
export function loginThrough(broker: { url: string; app: FastifyInstance; deps: { loginStarter: LoginStarter } }) {
  return async function login(oid: string, decision: 'grant' | 'deny' = 'grant', options: LoginOptions = {}) {
    const browser = options.browser ?? new Browser();
    const started = options.interaction ?? testInteraction();
    browser.setCookie(broker.url, INTERACTION_COOKIE, broker.app.signCookie(started.id));
    const esiaUrl = await broker.deps.loginStarter.start(started);
    const passed = await passEsia(browser, esiaUrl, { oid, decision, callbackPrefix: `${broker.url}/esia/callback` });
    await options.beforeCallback?.();
    const began = Date.now();
    const response = await browser.fetch(passed.callbackUrl);
    return { browser, interaction: started, esiaUrl, callbackUrl: passed.callbackUrl, sawLoginPage: passed.sawLoginPage, response, callbackMs: Date.now() - began };
  };
}

/** The development client key as an openssl signer, and its client_certificate_hash: for tests that sign ESIA requests by hand. */
export async function devClientSigner() {
  const keys = await sharedDevKeys();
  const openssl = testOpenssl();
  const signer = createSigner({ kind: 'openssl', keyFile: keys.clientKey, certFile: keys.clientCert, keyPassphrase: undefined, certHash: undefined }, { openssl, timeoutMs: 5000 });
  return { keys, openssl, signer, hash: await signer.certificateHash() };
}
