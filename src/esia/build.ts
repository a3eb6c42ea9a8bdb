import { readFileSync } from 'node:fs';
import type { Config } from '../config/index.js';
import type { Metrics } from '../metrics/metrics.js';
import { TRACING_OFF, tracedFetch, type Tracing } from '../observability/tracing.js';
import type { Logger } from '../observability/logger.js';
import type { LoginStarter } from '../oidc/interaction.js';
import type { StateStore } from '../store/state-store.js';
import { createCircuitBreaker } from './circuit-breaker.js';
import { createEsiaClient, type EsiaClient } from './client.js';
import { ensureDevKeys } from './dev-keys.js';
import { createEsiaHttp, MAX_BODY } from './http.js';
import { createIdTokenVerifier } from './id-token.js';
import { createEsiaLogin, type EsiaLogin } from './login.js';
import { createOpenssl } from './openssl.js';
import { issuerFor } from './protocol.js';
import { createSigner, selfTestSigner } from './signers.js';
import { createEsiaFetch, type EsiaFetch } from './transport.js';

export interface EsiaParts {
  client: EsiaClient;
  login: EsiaLogin;
  loginStarter: LoginStarter;
}

/**
 * Builds the ESIA leg from the config, for the composition root: development keys when
 * configured so, the signer and its self-test (fail fast), the id_token verifier, the client.
 */
export async function buildEsia(config: Config, deps: { state: StateStore; metrics: Metrics; logger: Logger; fetch?: typeof fetch; tracing?: Tracing }): Promise<EsiaParts> {
  const esia = config.esia;
  const openssl = createOpenssl(esia.openssl);
  if (esia.devKeysDir) {
    await ensureDevKeys(openssl, esia.devKeysDir).catch((error: unknown) => {
      throw new Error(`cannot generate development ESIA keys in ${esia.devKeysDir} (openssl with libengine-gost-openssl needed): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    });
    deps.logger.warn({ dir: esia.devKeysDir, esiaUrl: esia.url }, 'ESIA: development keys in use (the local emulator only)');
  }
  const signerFetch = deps.tracing?.enabled || deps.fetch ? tracedFetch(deps.tracing ?? TRACING_OFF, deps.fetch ?? fetch, 'signer') : undefined;
  const signer = createSigner(esia.signer, { openssl, timeoutMs: esia.timeoutMs, ...(signerFetch ? { fetch: signerFetch } : {}) });
  await selfTestSigner(signer, { openssl, certFile: esia.signer.certFile, protocol: esia.protocol });

  let certificatesPem: string;
  try {
    certificatesPem = readFileSync(esia.tokenCertFile, 'utf8');
  } catch (error) {
    throw new Error(`ESIA_TOKEN_CERT_FILE: cannot read ${esia.tokenCertFile} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  }
  const idTokens = await createIdTokenVerifier({
    certificatesPem,
    algs: esia.tokenAlgs,
    issuer: esia.issuer ?? issuerFor(esia.url),
    clientId: esia.clientId,
    leewaySec: esia.tokenLeewaySec,
    openssl,
  });
  const breaker = createCircuitBreaker(esia.circuit);
  deps.metrics.watchEsiaCircuit(() => breaker.state);
  // Production talks to ESIA through keep-alive node:http(s) agents (far cheaper per call than global fetch); an injected fetch replaces it.
  const esiaFetch: EsiaFetch = deps.fetch ?? createEsiaFetch({ maxBodyChars: MAX_BODY });
  const http = createEsiaHttp({ fetch: tracedFetch(deps.tracing ?? TRACING_OFF, esiaFetch, 'ESIA'), breaker, metrics: deps.metrics });
  const client = createEsiaClient({ settings: esia, signer, http, idTokens });
  const login = createEsiaLogin({ state: deps.state, client, config: esia, relayUrl: `${config.server.publicUrl}/esia/login`, breaker });
  deps.logger.info({ esiaUrl: esia.url, clientId: esia.clientId, protocol: esia.protocol, signer: signer.kind }, 'ESIA leg ready (signer self-test passed)');
  return { client, login, loginStarter: login.starter };
}
