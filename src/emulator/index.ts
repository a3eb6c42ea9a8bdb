import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import Fastify from 'fastify';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devKeyPaths, ensureDevKeys, generateGostKeyPair, generateRsaKeyPair } from '../esia/dev-keys.js';
import { DEFAULT_GOST_ENGINE, createOpenssl, type OpensslOptions } from '../esia/openssl.js';
import type { RefreshStringVariant } from '../esia/protocol.js';
import { registerAuthorizeRoutes } from './authorize-routes.js';
import { NO_FAULTS, createStores, type EmulatorContext, type Faults } from './context.js';
import { installFaults, registerControlRoutes } from './faults.js';
import { loadPersonas, type Persona } from './personas.js';
import { createRegistry, type ClientRegistration } from './registry.js';
import { registerRestRoutes } from './rest-routes.js';
import { registerTokenRoutes } from './token-routes.js';
import type { TokenKeys } from './tokens.js';
import { singleValues } from './params.js';
import { createViolationLog, type Strictness, type Violation } from './violations.js';

/**
 * A protocol-faithful ESIA for tests and demos (docs/emulator.md). Never imported by the broker:
 * tests start it in-process on port 0, `npm run esia-emulator` runs it standalone (main.ts).
 */
export type { ClientRegistration } from './registry.js';
export type { Faults } from './context.js';
export type { Persona } from './personas.js';
export type { Strictness, Violation } from './violations.js';

export interface EmulatorOptions {
  port?: number;
  host?: string;
  /** The URL systems use to reach it (element URLs, iss = http://host/); default http://<host>:<port>. */
  publicUrl?: string;
  /** Personas, or a JSON file of them; default config/esia-personas.json. */
  personas?: Persona[] | string;
  clients?: ClientRegistration[];
  /** ESIA's token-signing keys; or a directory of development keys (generated if missing). */
  tokenKeys: TokenKeys | { devKeysDir: string };
  openssl?: Partial<OpensslOptions>;
  /** ± window for `timestamp`; ESIA's real window is unknown [?]. Default 5 minutes. */
  timestampWindowMs?: number;
  codeTtlMs?: number;
  refreshString?: RefreshStringVariant;
  /** [?] Logout's redirect_url must share an origin with a registered redirect_uri. Default false. */
  strictLogoutRedirect?: boolean;
  /** strict (default): every check answers as ESIA does; lenient: signature and time findings are logged, not answered. */
  strictness?: Strictness;
  /** Exposes /__emulator/* (fault switches, violations) over HTTP. */
  controlApi?: boolean;
  now?: () => number;
}

export interface RunningEmulator {
  url: string;
  issuer: string;
  registerClient(registration: ClientRegistration): Promise<void>;
  faults: { set(faults: Partial<Faults>): void; reset(): void; readonly current: Readonly<Faults> };
  /** Starts signing tokens with fresh keys the systems do not know yet (ESIA rotated its certificate). */
  rotateTokenKeys(): Promise<void>;
  /** The currently published token certificates (what esia.zip holds), PEM. */
  tokenCertificates(): string;
  /** What requests did wrong (all, or one request's by its X-Emulator-Request-Id). */
  violations(requestId?: string): Violation[];
  clearViolations(): void;
  close(): Promise<void>;
}

// config/ sits two levels above src/emulator in a checkout and three above dist/src/emulator in the image.
export const DEFAULT_PERSONAS_FILE =
  [join(import.meta.dirname, '..', '..', 'config', 'esia-personas.json'), join(import.meta.dirname, '..', '..', '..', 'config', 'esia-personas.json')].find((file) => existsSync(file)) ??
  join(import.meta.dirname, '..', '..', 'config', 'esia-personas.json');

export async function startEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  const openssl = createOpenssl({ bin: 'openssl', enginePath: DEFAULT_GOST_ENGINE, ...options.openssl });
  const personaList = Array.isArray(options.personas) ? options.personas : loadPersonas(options.personas ?? DEFAULT_PERSONAS_FILE);
  const keys = 'devKeysDir' in options.tokenKeys ? await devTokenKeys(openssl, options.tokenKeys.devKeysDir) : options.tokenKeys;
  const faults: Faults = { ...NO_FAULTS };
  const clock = options.now ?? Date.now;
  const now = () => clock() + faults.clockOffsetMs;
  const scratch = mkdtempSync(join(tmpdir(), 'esia-emulator-'));
  const ctx: EmulatorContext = {
    openssl,
    registry: createRegistry(openssl),
    personas: new Map(personaList.map((p) => [p.oid, p])),
    settings: {
      timestampWindowMs: options.timestampWindowMs ?? 5 * 60_000,
      codeTtlMs: options.codeTtlMs ?? 120_000,
      accessTtlSec: 3600,
      idTtlSec: 3 * 3600,
      sessionTtlMs: 30 * 60_000,
      refreshString: options.refreshString ?? 'ilimurzin',
      strictLogoutRedirect: options.strictLogoutRedirect ?? false,
    },
    faults,
    keys: { current: keys, published: keys.rsaCertPem + keys.gostCertPem },
    baseUrl: '',
    issuer: '',
    now,
    ...createStores(now),
    violations: createViolationLog(options.strictness ?? 'strict'),
  };
  for (const client of options.clients ?? []) await ctx.registry.register(client);

  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 64 * 1024 });
  await app.register(cookie);
  await app.register(formbody);
  // Any other body type reaches the routes, which answer as ESIA does (007014 for JSON at /te).
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  ctx.violations.install(app);
  const sleeps = installFaults(app, faults);
  registerAuthorizeRoutes(app, ctx);
  registerTokenRoutes(app, ctx);
  registerRestRoutes(app, ctx);
  app.get('/public/esia-token-certs.pem', async (_request, reply) => reply.type('application/x-pem-file').send(ctx.keys.published));
  if (options.controlApi) {
    registerControlRoutes(app, faults, () => rotate());
    app.get('/__emulator/violations', async (request) => ({ strictness: ctx.violations.strictness, violations: ctx.violations.list(singleValues(request.query)['request']) }));
    app.delete('/__emulator/violations', async (_request, reply) => reply.code(204).send(ctx.violations.clear()));
  }

  await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';
  ctx.baseUrl = options.publicUrl?.replace(/\/+$/, '') ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  // ESIA's iss is http://host/ whatever the scheme it is reached by (§1).
  ctx.issuer = `http://${new URL(ctx.baseUrl).host}/`;

  async function rotate() {
    const [rsa, gost] = await Promise.all([generateRsaKeyPair(openssl, '/CN=ESIA emulator rotated RSA'), generateGostKeyPair(openssl, '/CN=ESIA emulator rotated GOST')]);
    const gostKeyFile = join(scratch, `gost-${Date.now()}.pem`);
    writeFileSync(gostKeyFile, gost.key, { mode: 0o600 });
    ctx.keys.current = { rsaKeyPem: rsa.key, rsaCertPem: rsa.cert, gostKeyFile, gostCertPem: gost.cert };
    ctx.keys.published = rsa.cert + gost.cert;
  }

  return {
    url: ctx.baseUrl,
    issuer: ctx.issuer,
    registerClient: async (registration) => void (await ctx.registry.register(registration)),
    faults: {
      set: (changes) => void Object.assign(faults, changes),
      reset: () => void Object.assign(faults, NO_FAULTS),
      get current() {
        return { ...faults };
      },
    },
    rotateTokenKeys: rotate,
    tokenCertificates: () => ctx.keys.published,
    violations: (requestId) => ctx.violations.list(requestId),
    clearViolations: () => ctx.violations.clear(),
    async close() {
      sleeps.releaseAll();
      await app.close();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}

async function devTokenKeys(openssl: ReturnType<typeof createOpenssl>, dir: string): Promise<TokenKeys> {
  await ensureDevKeys(openssl, dir);
  const paths = devKeyPaths(dir);
  return {
    rsaKeyPem: readFileSync(paths.esiaRsaKey, 'utf8'),
    rsaCertPem: readFileSync(paths.esiaRsaCert, 'utf8'),
    gostKeyFile: paths.esiaGostKey,
    gostCertPem: readFileSync(paths.esiaGostCert, 'utf8'),
  };
}
