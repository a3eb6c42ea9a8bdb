import { z } from 'zod';

/**
 * Which ESIA the broker talks to (docs/esia.md, "ESIA environments"). The environment decides
 * the defaults (base URL, id_token issuer, where ESIA's token certificates come from) and
 * whether production may sign with the uncertified openssl signer: only against the emulator
 * or ESIA's test environment, never against the real ESIA without ESIA_ALLOW_UNCERTIFIED_SIGNER.
 */
export const ESIA_ENVIRONMENTS = ['emulator', 'test', 'production'] as const;
export type EsiaEnvironment = (typeof ESIA_ENVIRONMENTS)[number];

export const esiaEnvironmentField = z.enum(ESIA_ENVIRONMENTS, { error: 'must be emulator, test or production' }).optional();

export interface EsiaPreset {
  readonly url: string;
  /** id_token iss: http:// and a trailing slash, whatever the scheme of the URL. */
  readonly issuer: string;
  /** Where an operator gets ESIA's token-signing certificates for ESIA_TOKEN_CERT_FILE. */
  readonly tokenCerts: string;
}

export const ESIA_PRESETS: Readonly<Record<EsiaEnvironment, EsiaPreset>> = {
  emulator: {
    url: 'http://localhost:3100',
    issuer: 'http://localhost:3100/',
    tokenCerts: 'the emulator serves them at /public/esia-token-certs.pem (generated under DATA_DIR/esia-dev in development)',
  },
  test: {
    url: 'https://esia-portal1.test.gosuslugi.ru',
    issuer: 'http://esia-portal1.test.gosuslugi.ru/',
    tokenCerts: "the test environment's own certificate, obtained with the test access (not the production one)",
  },
  production: {
    url: 'https://esia.gosuslugi.ru',
    issuer: 'http://esia.gosuslugi.ru/',
    tokenCerts: 'https://esia.gosuslugi.ru/public/esia.zip (the .cer for the algorithm set on the technology portal, converted to PEM)',
  },
};

const PRODUCTION_HOSTS = new Set(['esia.gosuslugi.ru']);
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\]|::1)$/i;

/**
 * The environment an ESIA_URL points at when ESIA_ENVIRONMENT is not set. A host we do not know
 * counts as production: refusing the uncertified signer by mistake costs one setting, signing
 * real logins with it by mistake breaks the rules. An emulator elsewhere than on loopback is
 * named with ESIA_ENVIRONMENT=emulator.
 */
export function environmentOfUrl(url: string): EsiaEnvironment {
  const host = new URL(url).hostname.toLowerCase();
  if (PRODUCTION_HOSTS.has(host)) return 'production';
  if (host.endsWith('.test.gosuslugi.ru')) return 'test';
  if (LOOPBACK.test(host)) return 'emulator';
  return 'production';
}

export interface ResolvedEsiaEnvironment {
  environment: EsiaEnvironment;
  url: string;
  /** The preset issuer when the URL is the preset's; otherwise derived from the URL later. */
  issuer: string | undefined;
}

/** ESIA_ENVIRONMENT and ESIA_URL together; a contradiction (emulator at esia.gosuslugi.ru) is a problem. */
export function resolveEsiaEnvironment(explicit: EsiaEnvironment | undefined, url: string | undefined, problems: string[]): ResolvedEsiaEnvironment {
  const environment = explicit ?? (url ? environmentOfUrl(url) : 'emulator');
  const preset = ESIA_PRESETS[environment];
  const resolvedUrl = url ?? preset.url;
  if (explicit && explicit !== 'production' && url && PRODUCTION_HOSTS.has(new URL(url).hostname.toLowerCase())) {
    problems.push(`ESIA_ENVIRONMENT: ${explicit} contradicts ESIA_URL ${url}, which is ESIA's production environment`);
  }
  return { environment, url: resolvedUrl, issuer: resolvedUrl === preset.url ? preset.issuer : undefined };
}

/**
 * openssl's gost engine (not a certified СКЗИ) against the real ESIA, spawned (`openssl`) or
 * loaded in process (`engine`): refused, or a warning when explicitly allowed.
 */
export function uncertifiedSignerProblem(ctx: { isProduction: boolean; environment: EsiaEnvironment; signer: string; allowed: boolean }): { problem?: string; warning?: string } {
  if (!ctx.isProduction || ctx.environment !== 'production' || (ctx.signer !== 'openssl' && ctx.signer !== 'engine')) return {};
  if (!ctx.allowed) {
    return {
      problem:
        `ESIA_SIGNER: ${ctx.signer} is not certified cryptography (СКЗИ class КС3) and may not sign for ESIA's production environment; use ESIA_SIGNER=http (a certified signing service) or cryptopro, or set ESIA_ALLOW_UNCERTIFIED_SIGNER=true to accept the risk (docs/going-live.md)`,
    };
  }
  return {
    warning:
      `ESIA_ALLOW_UNCERTIFIED_SIGNER: signing for ESIA's production environment with ${ctx.signer}, which is not certified cryptography (СКЗИ class КС3); move to ESIA_SIGNER=http or cryptopro (docs/going-live.md)`,
  };
}
