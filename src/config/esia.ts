import { join } from 'node:path';
import { z } from 'zod';
import { ESIA_PRESETS, esiaEnvironmentField, resolveEsiaEnvironment, uncertifiedSignerProblem, type EsiaEnvironment, type EsiaPreset } from './esia-environment.js';
import { bool, httpUrl, positiveInt } from './fields.js';

/**
 * ESIA settings (docs/esia.md). Production must name ESIA, the client and its keys; development
 * and tests default to the local emulator and to GOST keys generated under DATA_DIR/esia-dev.
 */
export const esiaEnvSchema = z.object({
  ESIA_ENVIRONMENT: esiaEnvironmentField,
  ESIA_URL: httpUrl.optional(),
  ESIA_CLIENT_ID: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be the ESIA mnemonic of the system').optional(),
  ESIA_REDIRECT_URI: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  ESIA_SCOPES: z
    .string()
    .default('openid fullname birthdate gender snils email id_doc')
    .transform((value) => value.trim().split(/\s+/).join(' '))
    .refine((value) => value.split(' ').includes('openid'), 'must include openid (the oid comes from the id_token)'),
  ESIA_SCOPE_ORG: z.string().default(''),
  ESIA_PROTOCOL: z.enum(['v1', 'v2'], { error: 'must be v2 (/v2/ac + /v3/te) or v1 (legacy /ac + /te)' }).default('v2'),
  ESIA_SIGNER: z.enum(['openssl', 'engine', 'cryptopro', 'http'], { error: 'must be openssl, engine, cryptopro or http' }).default('openssl'),
  ESIA_KEY_FILE: z.string().min(1).optional(),
  ESIA_CERT_FILE: z.string().min(1).optional(),
  ESIA_KEY_PASSPHRASE: z.string().min(1).optional(),
  ESIA_CERT_HASH: z
    .string()
    .regex(/^([0-9A-Fa-f]{64}|[0-9A-Fa-f]{128})$/, 'must be 64 hex characters (GOST R 34.11-2012-256 of the certificate), or 128 for a 512-bit key (Streebog-512)')
    .transform((value) => value.toUpperCase())
    .optional(),
  ESIA_OPENSSL_BIN: z.string().min(1).default('openssl'),
  ESIA_GOST_ENGINE: z.string().min(1).default('/usr/lib/x86_64-linux-gnu/engines-3/gost.so'),
  ESIA_OPENSSL_CONF: z.string().min(1).optional(),
  ESIA_CRYPTOPRO_CONTAINER: z.string().min(1).optional(),
  ESIA_CRYPTOPRO_PASSWORD: z.string().min(1).optional(),
  ESIA_CSPTEST_BIN: z.string().min(1).default('/opt/cprocsp/bin/amd64/csptest'),
  ESIA_SIGNER_URL: httpUrl.optional(),
  ESIA_SIGNER_TOKEN: z.string().min(1).optional(),
  ESIA_ALLOW_UNCERTIFIED_SIGNER: bool.default(false),
  ESIA_SECRET_ENCODING: z.enum(['base64url', 'base64url-padded', 'base64'], { error: 'must be base64url, base64url-padded or base64' }).default('base64url'),
  ESIA_TOKEN_CERT_FILE: z.string().min(1).optional(),
  ESIA_TOKEN_ALGS: z
    .string()
    .default('RS256')
    .transform((value) => value.split(',').map((alg) => alg.trim()).filter(Boolean))
    .pipe(z.array(z.enum(['RS256', 'GOST3410_2012_256'], { error: 'each must be RS256 or GOST3410_2012_256' })).min(1)),
  ESIA_ISSUER: z.string().regex(/^https?:\/\/.+\/$/, 'must be an http(s) URL ending with a slash').optional(),
  ESIA_TIMEOUT_MS: positiveInt.default(5000),
  ESIA_TOKEN_LEEWAY_S: z.coerce.number().int().min(0).max(600).default(60),
  ESIA_FORCE_LOGIN: z.enum(['logout', 'ignore'], { error: 'must be logout or ignore' }).default('logout'),
  ESIA_CIRCUIT_THRESHOLD: positiveInt.default(5),
  ESIA_CIRCUIT_COOLDOWN_MS: positiveInt.default(30_000),
});

export type EsiaEnv = z.infer<typeof esiaEnvSchema>;
export type EsiaTokenAlg = 'RS256' | 'GOST3410_2012_256';

/** Where the certificate (or its hash) comes from, for signers that do not hold a key file. */
interface CertSource {
  certFile: string | undefined;
  certHash: string | undefined;
}

export type EsiaSignerConfig =
  | ({ kind: 'openssl'; keyFile: string; keyPassphrase: string | undefined } & CertSource & { certFile: string })
  // The same key and engine as openssl, loaded into the broker's own process (src/esia/engine-signer.ts).
  | ({ kind: 'engine'; keyFile: string; keyPassphrase: string | undefined; enginePath: string } & CertSource & { certFile: string })
  | ({ kind: 'cryptopro'; container: string; password: string | undefined; csptestBin: string } & CertSource)
  | ({ kind: 'http'; url: string; token: string } & CertSource);

export interface EsiaConfig {
  /** ESIA_ENVIRONMENT, or what ESIA_URL points at (src/config/esia-environment.ts). */
  readonly environment: EsiaEnvironment;
  readonly url: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly scope: string;
  readonly scopeOrg: string;
  readonly protocol: 'v1' | 'v2';
  /** Expected id_token iss: http://host/ with the trailing slash ESIA sends. */
  readonly issuer: string | undefined;
  readonly signer: EsiaSignerConfig;
  readonly openssl: { readonly bin: string; readonly enginePath: string; readonly confFile: string | undefined };
  readonly secretEncoding: 'base64url' | 'base64url-padded' | 'base64';
  readonly tokenCertFile: string;
  readonly tokenAlgs: readonly EsiaTokenAlg[];
  readonly tokenLeewaySec: number;
  /** Budget for the whole back channel of one callback (token + person calls). */
  readonly timeoutMs: number;
  readonly forceLogin: 'logout' | 'ignore';
  readonly circuit: { readonly threshold: number; readonly cooldownMs: number };
  /** Development only: generate the dev client key and emulator token keys here if missing. */
  readonly devKeysDir: string | undefined;
  /** Risks accepted by configuration: logged at every start and shown in /readyz. */
  readonly warnings: readonly string[];
}

export const DEV_ESIA_URL = ESIA_PRESETS.emulator.url;
export const DEV_ESIA_CLIENT_ID = 'ESIA_BROKER_DEV';
export const devKeysDir = (dataDir: string) => join(dataDir, 'esia-dev');

/** Settings production must give explicitly (checked on the raw env, before parsing). */
export function esiaProductionProblems(raw: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  const need = (name: string, why: string) => {
    if (!raw[name]) problems.push(`${name}: required in production (${why})`);
  };
  const environment = raw['ESIA_ENVIRONMENT'];
  if (!environment) need('ESIA_URL', 'https://esia.gosuslugi.ru or https://esia-portal1.test.gosuslugi.ru, or set ESIA_ENVIRONMENT');
  need('ESIA_CLIENT_ID', 'the mnemonic registered at ESIA');
  const preset = ESIA_PRESETS[environment as EsiaEnvironment] as EsiaPreset | undefined;
  need('ESIA_TOKEN_CERT_FILE', `ESIA certificate(s) that sign its tokens${preset ? `: ${preset.tokenCerts}` : ''}`);
  const signer = raw['ESIA_SIGNER'] ?? 'openssl';
  if (signer === 'openssl' || signer === 'engine') {
    need('ESIA_KEY_FILE', 'the GOST private key of the system');
    need('ESIA_CERT_FILE', 'the certificate registered at ESIA');
  }
  return problems;
}

/** Cross-field checks and development defaults, after the schema parsed. */
export function resolveEsiaConfig(e: EsiaEnv, ctx: { isProduction: boolean; publicUrl: string; dataDir: string }, problems: string[]): EsiaConfig {
  const where = resolveEsiaEnvironment(e.ESIA_ENVIRONMENT, e.ESIA_URL, problems);
  const uncertified = uncertifiedSignerProblem({ isProduction: ctx.isProduction, environment: where.environment, signer: e.ESIA_SIGNER, allowed: e.ESIA_ALLOW_UNCERTIFIED_SIGNER });
  if (uncertified.problem) problems.push(uncertified.problem);
  const devDir = devKeysDir(ctx.dataDir);
  let usesDevKeys = false;
  const dev = (value: string | undefined, file: string): string => {
    if (value) return value;
    usesDevKeys = true;
    return join(devDir, file);
  };
  const certSource = { certFile: e.ESIA_CERT_FILE, certHash: e.ESIA_CERT_HASH };
  let signer: EsiaSignerConfig;
  if (e.ESIA_SIGNER === 'openssl' || e.ESIA_SIGNER === 'engine') {
    const keyed = { keyFile: dev(e.ESIA_KEY_FILE, 'client-key.pem'), keyPassphrase: e.ESIA_KEY_PASSPHRASE, certFile: dev(e.ESIA_CERT_FILE, 'client-cert.pem'), certHash: e.ESIA_CERT_HASH };
    signer = e.ESIA_SIGNER === 'engine' ? { kind: 'engine', ...keyed, enginePath: e.ESIA_GOST_ENGINE } : { kind: 'openssl', ...keyed };
  } else if (e.ESIA_SIGNER === 'cryptopro') {
    if (!e.ESIA_CRYPTOPRO_CONTAINER) problems.push('ESIA_CRYPTOPRO_CONTAINER: required with ESIA_SIGNER=cryptopro');
    if (e.ESIA_PROTOCOL === 'v1') problems.push('ESIA_SIGNER: cryptopro makes raw signatures only; ESIA_PROTOCOL=v1 needs CMS (use openssl or http)');
    signer = { kind: 'cryptopro', container: e.ESIA_CRYPTOPRO_CONTAINER ?? '', password: e.ESIA_CRYPTOPRO_PASSWORD, csptestBin: e.ESIA_CSPTEST_BIN, ...certSource };
  } else {
    if (!e.ESIA_SIGNER_URL) problems.push('ESIA_SIGNER_URL: required with ESIA_SIGNER=http');
    if (!e.ESIA_SIGNER_TOKEN) problems.push('ESIA_SIGNER_TOKEN: required with ESIA_SIGNER=http');
    signer = { kind: 'http', url: e.ESIA_SIGNER_URL ?? '', token: e.ESIA_SIGNER_TOKEN ?? '', ...certSource };
  }
  if (signer.kind !== 'openssl' && signer.kind !== 'engine' && !signer.certFile && !signer.certHash) {
    problems.push(`ESIA_CERT_FILE: required with ESIA_SIGNER=${signer.kind} unless ESIA_CERT_HASH is given`);
  }
  const tokenCertFile = dev(e.ESIA_TOKEN_CERT_FILE, 'esia-token-certs.pem');
  if (usesDevKeys && where.environment !== 'emulator') {
    problems.push(`ESIA_ENVIRONMENT: the development keys work with the emulator only; ESIA's ${where.environment} environment needs ESIA_KEY_FILE, ESIA_CERT_FILE (the registered certificate) and ESIA_TOKEN_CERT_FILE (${ESIA_PRESETS[where.environment].tokenCerts})`);
  }
  return {
    environment: where.environment,
    url: where.url,
    clientId: e.ESIA_CLIENT_ID ?? DEV_ESIA_CLIENT_ID,
    redirectUri: e.ESIA_REDIRECT_URI ?? `${ctx.publicUrl}/esia/callback`,
    scope: e.ESIA_SCOPES,
    scopeOrg: e.ESIA_SCOPE_ORG,
    protocol: e.ESIA_PROTOCOL,
    issuer: e.ESIA_ISSUER ?? where.issuer,
    signer,
    openssl: { bin: e.ESIA_OPENSSL_BIN, enginePath: e.ESIA_GOST_ENGINE, confFile: e.ESIA_OPENSSL_CONF },
    secretEncoding: e.ESIA_SECRET_ENCODING,
    tokenCertFile,
    tokenAlgs: e.ESIA_TOKEN_ALGS,
    tokenLeewaySec: e.ESIA_TOKEN_LEEWAY_S,
    timeoutMs: e.ESIA_TIMEOUT_MS,
    forceLogin: e.ESIA_FORCE_LOGIN,
    circuit: { threshold: e.ESIA_CIRCUIT_THRESHOLD, cooldownMs: e.ESIA_CIRCUIT_COOLDOWN_MS },
    devKeysDir: usesDevKeys && !ctx.isProduction ? devDir : undefined,
    warnings: uncertified.warning ? [uncertified.warning] : [],
  };
}
