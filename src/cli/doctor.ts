import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig, type Config, type Env } from '../config/index.js';
import { gostCertificateHash, splitPemCertificates } from '../esia/certificate.js';
import { createOpenssl, type Openssl } from '../esia/openssl.js';
import { ENDPOINTS } from '../esia/protocol.js';
import { createSigner, selfTestSigner } from '../esia/signers.js';
import { inspectRedis } from '../store/redis/redis-inspect.js';
import type { CliIo } from './cli-io.js';

/**
 * `esia-broker doctor`: what a region checks before (and after) going live, from the same
 * configuration the server reads (docs/going-live.md, "Checklist"). Every check says what to fix.
 * Exit codes as the other commands: 0 nothing failed (warnings allowed), 1 a check failed,
 * 78 the configuration itself is refused. It reads files and calls ESIA once; it writes nothing
 * beyond what loading the configuration does (development secrets, as the server would).
 */
export type CheckStatus = 'ok' | 'warn' | 'fail';
export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

const DAY_MS = 24 * 3600 * 1000;
/** A certificate expiring sooner than this is a warning: a new one takes weeks to register. */
const EXPIRY_WARNING_DAYS = 30;

const check = (name: string, status: CheckStatus, detail: string, fix?: string): Check => (fix ? { name, status, detail, fix } : { name, status, detail });
const message = (error: unknown) => (error instanceof Error ? error.message : String(error));
/** In development the missing files are usually the development keys, which are generated, not configured. */
const orDevKeys = (config: Config, fix: string) => (config.esia.devKeysDir ? `start the emulator (npm run esia-emulator) or run npm run esia-dev-keys to generate the development keys; else ${fix}` : fix);

export async function runDoctor(io: CliIo, env: Env, options: { json: boolean; now?: () => number }): Promise<number> {
  const now = options.now ?? Date.now;
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const checks = error.problems.map((problem) => check('configuration', 'fail', problem, 'set or correct the setting named (README.md, docs/esia.md)'));
    print(io, checks, options.json);
    return 78;
  }
  const esia = config.esia;
  const openssl = createOpenssl(esia.openssl);
  const checks: Check[] = [
    check('configuration', 'ok', `ESIA ${esia.environment} environment at ${esia.url}, client ${esia.clientId}, protocol ${esia.protocol}, signer ${esia.signer.kind}`),
    ...esia.warnings.map((warning) => check('configuration', 'warn', warning, 'use ESIA_SIGNER=http or cryptopro (docs/going-live.md, "Signing")')),
  ];
  if (config.isProduction && esia.environment === 'emulator') {
    checks.push(check('configuration', 'warn', 'production settings against the ESIA emulator: no real person can log in', 'set ESIA_ENVIRONMENT=test or production with the real keys'));
  }
  checks.push(await opensslWithGost(config, openssl));
  checks.push(...(await clientCertificate(config, openssl, now())));
  checks.push(tokenCertificates(config, now()));
  checks.push(await signerSelfTest(config, openssl));
  checks.push(...(await reachability(config, now)));
  checks.push(...(await stateStoreCheck(config)));
  print(io, checks, options.json);
  return checks.some((c) => c.status === 'fail') ? 1 : 0;
}

/**
 * The openssl binary and its gost engine: whatever the signer, the certificate hash and ESIA's
 * GOST token signatures go through them, so a missing engine is named once, before what it breaks.
 */
async function opensslWithGost(config: Config, openssl: Openssl): Promise<Check> {
  const { enginePath, confFile } = config.esia.openssl;
  const engine = confFile ? `the engine ESIA_OPENSSL_CONF ${confFile} loads` : `the gost engine ${enginePath}`;
  let version: string;
  try {
    version = (await openssl.run(['version'])).toString('utf8').trim();
  } catch (error) {
    return check('openssl', 'fail', message(error), 'install openssl (Debian: apt-get install openssl libengine-gost-openssl) or point ESIA_OPENSSL_BIN at it');
  }
  try {
    await openssl.run(['dgst', '-md_gost12_256'], { input: Buffer.alloc(0) });
  } catch (error) {
    return check('openssl', 'fail', `${version}: no GOST R 34.11-2012 through ${engine} (${message(error)})`, 'install libengine-gost-openssl (Debian) or point ESIA_GOST_ENGINE at its gost.so (`openssl version -e` names the engines directory)');
  }
  return check('openssl', 'ok', `${version}, GOST through ${engine}`);
}

function validity(cert: X509Certificate, at: number, what: string, fix: string): Check {
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  const subject = cert.subject.replace(/\n/g, ', ');
  if (at < from) return check('certificate', 'fail', `${what} (${subject}) is not valid before ${cert.validFrom}`, fix);
  if (at > to) return check('certificate', 'fail', `${what} (${subject}) expired ${cert.validTo}`, fix);
  const days = Math.floor((to - at) / DAY_MS);
  if (days < EXPIRY_WARNING_DAYS) return check('certificate', 'warn', `${what} (${subject}) expires in ${days} days (${cert.validTo})`, fix);
  return check('certificate', 'ok', `${what} (${subject}) valid until ${cert.validTo}`);
}

/** The system's certificate: dates, and the client_certificate_hash ESIA will be sent. */
async function clientCertificate(config: Config, openssl: Openssl, at: number): Promise<Check[]> {
  const { certFile, certHash } = config.esia.signer;
  const renew = 'get a new certificate from an accredited CA, register it on ESIA\'s technology portal, then switch ESIA_CERT_FILE (docs/going-live.md, "Key rotation")';
  if (!certFile) return [check('certificate', 'warn', `no ESIA_CERT_FILE: ESIA_CERT_HASH ${certHash ?? '?'} is sent as given, dates unchecked`, 'give ESIA_CERT_FILE so the dates and the signature are checked')];
  let pem: string;
  let cert: X509Certificate;
  try {
    pem = readFileSync(certFile, 'utf8');
    cert = new X509Certificate(pem);
  } catch (error) {
    return [check('certificate', 'fail', `ESIA_CERT_FILE ${certFile}: ${(error as NodeJS.ErrnoException).code ?? message(error)}`, orDevKeys(config, 'point ESIA_CERT_FILE at the PEM certificate registered at ESIA'))];
  }
  const checks = [validity(cert, at, 'the system certificate', renew)];
  try {
    const computed = await gostCertificateHash(openssl, pem);
    if (certHash && certHash !== computed) {
      checks.push(check('certificate', 'fail', `ESIA_CERT_HASH ${certHash} is not the hash of ESIA_CERT_FILE (${computed})`, 'compare with the value on the technology portal; remove ESIA_CERT_HASH if the computed one matches'));
    } else checks.push(check('certificate', 'ok', `client_certificate_hash ${certHash ?? computed}: it must equal the one the technology portal shows`));
  } catch (error) {
    checks.push(check('certificate', 'fail', `cannot hash ESIA_CERT_FILE: ${message(error)}`, 'install libengine-gost-openssl or set ESIA_GOST_ENGINE'));
  }
  return checks;
}

/** ESIA's token-signing certificates: readable, and at least one valid today. */
function tokenCertificates(config: Config, at: number): Check {
  const fix = orDevKeys(config, 'install ESIA\'s current token certificate(s) in ESIA_TOKEN_CERT_FILE (docs/esia.md, "ESIA environments")');
  let pems: string[];
  try {
    pems = splitPemCertificates(readFileSync(config.esia.tokenCertFile, 'utf8'));
  } catch (error) {
    return check('token certificates', 'fail', `ESIA_TOKEN_CERT_FILE ${config.esia.tokenCertFile}: ${(error as NodeJS.ErrnoException).code ?? message(error)}`, fix);
  }
  if (pems.length === 0) return check('token certificates', 'fail', `ESIA_TOKEN_CERT_FILE holds no PEM certificate`, fix);
  const valid = pems.filter((pem) => {
    const cert = new X509Certificate(pem);
    return Date.parse(cert.validFrom) <= at && at <= Date.parse(cert.validTo);
  }).length;
  if (valid === 0) return check('token certificates', 'fail', `none of the ${pems.length} certificate(s) is valid today`, fix);
  const expired = pems.length - valid;
  return expired > 0
    ? check('token certificates', 'warn', `${valid} valid, ${expired} expired or not yet valid`, 'drop expired certificates once ESIA no longer signs with them')
    : check('token certificates', 'ok', `${valid} certificate(s), valid today`);
}

async function signerSelfTest(config: Config, openssl: Openssl): Promise<Check> {
  const esia = config.esia;
  try {
    const signer = createSigner(esia.signer, { openssl, timeoutMs: esia.timeoutMs });
    await selfTestSigner(signer, { openssl, certFile: esia.signer.certFile, protocol: esia.protocol });
    return check('signer', 'ok', `ESIA_SIGNER=${esia.signer.kind} signed a probe that verifies with the certificate`);
  } catch (error) {
    return check('signer', 'fail', message(error), orDevKeys(config, 'see docs/esia.md, "Signers" (the key, its passphrase, the engine, or the signing service)'));
  }
}

/** One GET of the authorize endpoint: any HTTP answer means reachable; its Date header gives the clock skew. */
async function reachability(config: Config, now: () => number): Promise<Check[]> {
  const esia = config.esia;
  const url = `${esia.url}${ENDPOINTS[esia.protocol].authorize}`;
  const sent = now();
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(esia.timeoutMs) });
    await response.body?.cancel();
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return [check('ESIA reachable', 'fail', `${url}: no answer (${message(error)}${cause}; waited at most ${esia.timeoutMs} ms)`, 'open outbound HTTPS to ESIA (the test and production hosts answer from Russian networks only), check DNS and the proxy')];
  }
  const received = now();
  const checks = [check('ESIA reachable', response.status >= 500 ? 'warn' : 'ok', `${url} answered HTTP ${response.status} in ${received - sent} ms`)];
  const date = Date.parse(response.headers.get('date') ?? '');
  if (Number.isNaN(date)) return [...checks, check('clock', 'warn', 'ESIA sent no Date header: clock skew unknown', 'keep the host clock in sync (NTP)')];
  // The Date header has a one-second resolution: compare with the middle of the request.
  const skewSec = Math.round(((sent + received) / 2 - date) / 1000);
  const leeway = esia.tokenLeewaySec;
  const fix = 'synchronise the host clock (NTP): ESIA refuses a stale timestamp and the broker refuses tokens from the future';
  if (Math.abs(skewSec) > leeway) checks.push(check('clock', 'fail', `local clock is ${skewSec} s off ESIA's (more than ESIA_TOKEN_LEEWAY_S=${leeway})`, fix));
  else if (Math.abs(skewSec) > Math.max(2, leeway / 2)) checks.push(check('clock', 'warn', `local clock is ${skewSec} s off ESIA's`, fix));
  else checks.push(check('clock', 'ok', `local clock within ${Math.max(Math.abs(skewSec), 1)} s of ESIA's`));
  return checks;
}

/**
 * The state store's Redis, when REDIS_URL is set: it answers, through Sentinel or the cluster as
 * configured; a cluster serves every slot, and each of its primaries has a replica to take over.
 */
export async function stateStoreCheck(config: Config): Promise<Check[]> {
  const storage = config.storage;
  if (!storage.redisUrl) return [];
  const where = storage.redisCluster ? 'Redis Cluster' : storage.redisSentinel ? `Redis through Sentinel (${storage.redisSentinel.name})` : 'Redis';
  let found;
  try {
    found = await inspectRedis({ url: storage.redisUrl, keyPrefix: storage.redisKeyPrefix, commandTimeoutMs: storage.redisCommandTimeoutMs, sentinel: storage.redisSentinel, cluster: storage.redisCluster });
  } catch (error) {
    return [check('redis', 'fail', `${where}: no answer (${message(error)})`, 'check REDIS_URL (password, TLS), REDIS_SENTINELS or REDIS_CLUSTER_NODES, and that this host reaches those ports')];
  }
  const summary = `${where}: ${found.primaries} primary(ies), ${found.replicas} replica(s)`;
  if (found.mode === 'cluster' && found.clusterState !== 'ok') {
    return [check('redis', 'fail', `${summary}, cluster_state:${found.clusterState}: some slots are served by no one`, 'redis-cli --cluster check <node> names the slots; bring their primary back or fail over to its replica')];
  }
  if (found.mode !== 'single' && found.unreplicated.length > 0) {
    return [check('redis', 'warn', `${summary}; no replica for ${found.unreplicated.join(', ')}: nothing takes over when it dies`, 'give every primary a replica (docs/operations.md, Redis Cluster and Redis Sentinel)')];
  }
  return [check('redis', 'ok', summary)];
}

function print(io: CliIo, checks: Check[], json: boolean): void {
  if (json) {
    io.out(`${JSON.stringify({ ok: !checks.some((c) => c.status === 'fail'), checks }, null, 2)}\n`);
    return;
  }
  const label = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' } as const;
  for (const c of checks) io.out(`${label[c.status]}  ${c.name}: ${c.detail}\n${c.fix && c.status !== 'ok' ? `      fix: ${c.fix}\n` : ''}`);
  const failed = checks.filter((c) => c.status === 'fail').length;
  const warned = checks.filter((c) => c.status === 'warn').length;
  io.err(failed > 0 ? `esia-broker doctor: ${failed} check(s) failed, ${warned} warning(s)\n` : `esia-broker doctor: all checks passed${warned ? `, ${warned} warning(s)` : ''}\n`);
}
