import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import pino from 'pino';
import { loadConfig } from '../../src/config/index.js';
import { buildDeps } from '../../src/deps.js';
import { DEFAULT_PERSONAS_FILE } from '../../src/emulator/index.js';
import { loadPersonas } from '../../src/emulator/personas.js';
import { createLogger } from '../../src/observability/logger.js';
import { createHarness } from '../../test/helpers/accounts.js';
import { createTestDatabaseUrl, uniqueSuffix } from '../../test/helpers/backends.js';
import { ALL_TEST_SCOPES, scratchDir, sharedDevKeys, startTestEmulator } from '../../test/helpers/emulator.js';
import { flowLogin, type FlowEnvironment } from '../../test/helpers/login-flow.js';
import { registerClient } from '../../test/helpers/oidc.js';
import { createMemoryCgroup } from './memory-cgroup.js';
import { imageNodeFlags } from './production-runtime.js';

export const ROOT = join(import.meta.dirname, '..', '..');

export interface BrokerSide {
  url: string;
  /** Its own fresh Postgres database, to find the server processes working for it. */
  databaseUrl: string;
  basic: string;
  /** One login's tokens per load-generator connection: refresh chains start from these. */
  tokens: { access_token: string; refresh_token: string }[];
  child: ChildProcess;
  /** V8's heap limit in the broker's node, in MB: sized from the memory it may use. */
  heapLimitMb: number;
  /** The broker's node flags: the image's, then nodeArgs. */
  nodeFlags: string[];
  /** One more whole login of the seeded person, driven from this process. */
  login(): Promise<void>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * esia-broker as production runs it: `node dist/src/main.js` (build first) with the image's node
 * flags (nodeArgs come after them, so they can override), on a fresh Postgres
 * database and its own Redis key prefix. The ESIA emulator, and the seeding (client, profile,
 * `logins` whole logins), run here, in the load generator's process, and are idle under load.
 */
export async function startBrokerSide(options: { logins: number; nodeArgs?: string[]; signer?: string; /** A file for the broker's stdout (e.g. --trace-gc lines); else dropped. */ stdout?: string; /** The node binary that runs the broker (production's LTS); this process's by default. */ node?: string; /** Runs the broker in a memory cgroup of this many MB, as its container (0 or absent: unlimited). */ memoryLimitMb?: number }): Promise<BrokerSide> {
  process.env['DATABASE_URL'] ??= 'postgres://postgres@127.0.0.1:5432/postgres';
  const db = await createTestDatabaseUrl();
  const keys = await sharedDevKeys();
  const emulator = await startTestEmulator({ personas: loadPersonas(DEFAULT_PERSONAS_FILE) });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: url,
    LOG_LEVEL: 'warn',
    DATA_DIR: scratchDir('esia-bench-'),
    CONFIG_DIR: join(ROOT, 'config'),
    DATABASE_URL: db.url,
    REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: `bench:${uniqueSuffix()}:`,
    MIGRATE_ON_START: 'true',
    ESIA_URL: emulator.url,
    ESIA_CLIENT_ID: 'EDIARY_BENCH',
    ESIA_KEY_FILE: keys.clientKey,
    ESIA_CERT_FILE: keys.clientCert,
    ESIA_TOKEN_CERT_FILE: keys.esiaTokenCerts,
    ESIA_SCOPES: 'openid fullname birthdate gender snils email mobile id_doc',
    ESIA_SIGNER: options.signer ?? 'engine',
    COOKIE_SECRET: 'bench-cookie-secret-0123456789abcdef',
    SNILS_HMAC_KEY: 'test-snils-hmac-key-0123456789abcdef',
    KEY_ENCRYPTION_KEY: 'bench-key-encryption-key-0123456789',
    ADMIN_TOKEN: 'bench-admin-token-0123456789abcdef',
    // The bench's one client refreshes thousands of times a second, by design.
    OIDC_TOKEN_RATE_LIMIT_PER_MINUTE: '100000000',
  };

  // Migrate and seed through the broker's own code, then close: the served process is the child.
  const seeding = await buildDeps(loadConfig({ ...env, NODE_ENV: 'test' }), createLogger({ level: 'silent', destination: pino.destination('/dev/null') }));
  const client = await registerClient(seeding, { regions: ['38'] });
  await createHarness(seeding.database).profile({ lastName: 'Смирнова', firstName: 'Елена', middleName: 'Викторовна', birthDate: '1984-05-12', snils: '145-278-903 84', roles: ['parent'], region: '38' });
  await seeding.close();

  const cgroup = options.memoryLimitMb ? createMemoryCgroup(`esia-broker-bench-${process.pid}`, options.memoryLimitMb) : undefined;
  const nodeFlags = [...imageNodeFlags(ROOT), ...(options.nodeArgs ?? [])];
  const run = { command: options.node ?? process.execPath, args: [...nodeFlags, join(ROOT, 'dist', 'src', 'main.js')] };
  const inPod = (command: string, args: string[]) => (cgroup ? cgroup.wrap(command, args) : { command, args });
  const { command, args } = inPod(run.command, run.args);
  const probe = inPod(run.command, ['-p', 'v8.getHeapStatistics().heap_size_limit']);
  const heapLimitMb = Math.round(Number(execFileSync(probe.command, probe.args, { encoding: 'utf8' })) / 2 ** 20);
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
    stdio: ['ignore', options.stdout ? openSync(options.stdout, 'w') : 'ignore', 'pipe'],
  });
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitForHealth(url, () => errors);

  await emulator.registerClient({ clientId: 'EDIARY_BENCH', redirectUris: [`${url}/esia/callback`], certificates: [readFileSync(keys.clientCert, 'utf8')], scopes: ALL_TEST_SCOPES, tokenAlg: 'RS256' });
  const config = await oidc.discovery(new URL(url), client.clientId, undefined, oidc.ClientSecretBasic(client.secret), { execute: [oidc.allowInsecureRequests] });
  const login = flowLogin({ emulator, broker: { url }, client, config } as unknown as FlowEnvironment);
  const tokens: BrokerSide['tokens'] = [];
  for (let i = 0; i < options.logins; i++) {
    const answer = await (await login('1000000101')).tokens();
    if (!answer.refresh_token) throw new Error('the broker gave no refresh token');
    tokens.push({ access_token: answer.access_token, refresh_token: answer.refresh_token });
  }
  return {
    url,
    databaseUrl: db.url,
    basic: `Basic ${Buffer.from(`${client.clientId}:${client.secret}`).toString('base64')}`,
    tokens,
    child,
    heapLimitMb,
    nodeFlags,
    async login() {
      await (await login('1000000101')).tokens();
    },
    async close() {
      child.kill('SIGTERM');
      await exited;
      cgroup?.remove();
      await emulator.close();
      await db.drop();
    },
  };
}

async function waitForHealth(url: string, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the broker did not start:\n${output()}`);
}
