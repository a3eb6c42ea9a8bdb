import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { devKeyPaths, ensureDevKeys } from '../esia/dev-keys.js';
import { createOpenssl, DEFAULT_GOST_ENGINE } from '../esia/openssl.js';
import { DEFAULT_PERSONAS_FILE, startEmulator } from './index.js';
import { loadPersonas, PersonasFileError, personasJsonSchema } from './personas.js';

/**
 * `npm run esia-emulator`: the ESIA emulator as its own process, registered for the local broker
 * with the development keys under DATA_DIR/esia-dev (the same ones the broker generates).
 * Settings (all optional) are documented in docs/emulator.md; `npx esia-emulator` runs this file.
 */
if (process.argv.includes('--personas-schema')) {
  process.stdout.write(`${JSON.stringify(personasJsonSchema(), null, 2)}\n`);
  process.exit(0);
}

const envSchema = z
  .object({
    EMULATOR_PORT: z.coerce.number().int().min(0).max(65535).default(3100),
    EMULATOR_HOST: z.string().default('127.0.0.1'),
    /** How the broker reaches it: must match the broker's ESIA_URL (iss is derived from it). */
    EMULATOR_PUBLIC_URL: z.string().url().optional(),
    DATA_DIR: z.string().default('./data'),
    EMULATOR_PERSONAS_FILE: z.string().default(DEFAULT_PERSONAS_FILE),
    EMULATOR_CLIENT_ID: z.string().default('ESIA_BROKER_DEV'),
    EMULATOR_REDIRECT_URIS: z.string().default('http://localhost:3000/esia/callback'),
    EMULATOR_CLIENT_CERT_FILE: z.string().optional(),
    EMULATOR_SCOPES: z.string().default('openid fullname birthdate birthplace gender snils inn id_doc birth_cert_doc email mobile contacts addresses usr_org'),
    EMULATOR_TOKEN_ALG: z.enum(['RS256', 'GOST3410_2012_256']).default('RS256'),
    EMULATOR_TIMESTAMP_WINDOW_MS: z.coerce.number().int().positive().default(300_000),
    EMULATOR_REFRESH_STRING: z.enum(['ilimurzin', 'aisgorod']).default('ilimurzin'),
    EMULATOR_CONTROL_API: z.enum(['true', 'false']).default('true'),
    EMULATOR_STRICTNESS: z.enum(['strict', 'lenient']).default('strict'),
    ESIA_GOST_ENGINE: z.string().default(DEFAULT_GOST_ENGINE),
  });
const env = readSettings();

const devDir = join(resolve(env.DATA_DIR), 'esia-dev');
const openssl = createOpenssl({ bin: 'openssl', enginePath: env.ESIA_GOST_ENGINE });
await ensureDevKeys(openssl, devDir);
const certFile = env.EMULATOR_CLIENT_CERT_FILE ?? devKeyPaths(devDir).clientCert;
const clientCertificate = readClientCertificate(certFile);

const emulator = await startEmulator({
  port: env.EMULATOR_PORT,
  host: env.EMULATOR_HOST,
  // Port 0 (any free port, for tests) leaves the URL to the port actually bound.
  ...(env.EMULATOR_PUBLIC_URL || env.EMULATOR_PORT !== 0 ? { publicUrl: env.EMULATOR_PUBLIC_URL ?? `http://localhost:${env.EMULATOR_PORT}` } : {}),
  personas: readPersonas(env.EMULATOR_PERSONAS_FILE),
  tokenKeys: { devKeysDir: devDir },
  openssl: { enginePath: env.ESIA_GOST_ENGINE },
  timestampWindowMs: env.EMULATOR_TIMESTAMP_WINDOW_MS,
  refreshString: env.EMULATOR_REFRESH_STRING,
  controlApi: env.EMULATOR_CONTROL_API === 'true',
  strictness: env.EMULATOR_STRICTNESS,
  clients: [
    {
      clientId: env.EMULATOR_CLIENT_ID,
      redirectUris: env.EMULATOR_REDIRECT_URIS.split(',').map((uri) => uri.trim()),
      certificates: [clientCertificate],
      scopes: env.EMULATOR_SCOPES.split(/\s+/),
      tokenAlg: env.EMULATOR_TOKEN_ALG,
    },
  ],
});
process.stdout.write(`ESIA emulator listening on ${emulator.url} (issuer ${emulator.issuer}); client ${env.EMULATOR_CLIENT_ID}, tokens ${env.EMULATOR_TOKEN_ALG}\n`);
process.stdout.write(`token certificates: ${emulator.url}/public/esia-token-certs.pem — development only, not ESIA\n`);

const stop = () => void emulator.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

/** Bad settings stop the start naming each variable and what it takes, not with a stack trace. */
function readSettings() {
  const parsed = envSchema.safeParse(process.env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  process.stderr.write(`ESIA emulator: bad settings (docs/emulator.md, "Running it"):\n${problems.join('\n')}\n`);
  process.exit(2);
}

/** The system's certificate must be a PEM certificate the emulator can read (GOST R 34.10-2012). */
function readClientCertificate(file: string): string {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    process.stderr.write(`ESIA emulator: EMULATOR_CLIENT_CERT_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})\n`);
    process.exit(2);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    process.stderr.write(`ESIA emulator: EMULATOR_CLIENT_CERT_FILE: ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)\n`);
    process.exit(2);
  }
  return pem;
}

/** A bad personas file stops the start with every problem listed, not a stack trace. */
function readPersonas(file: string) {
  try {
    return loadPersonas(file);
  } catch (error) {
    if (!(error instanceof PersonasFileError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
}
