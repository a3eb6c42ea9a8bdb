import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { loadConfig } from '../../../src/config/index.js';
import { environmentOfUrl } from '../../../src/config/esia-environment.js';
import { startBroker } from '../../helpers/broker.js';
import { configProblems } from '../../helpers/config-problems.js';

const production = {
  NODE_ENV: 'production', DATABASE_URL: 'postgres://db/x', REDIS_URL: 'redis://redis:6379',
  COOKIE_SECRET: 'cookie-secret-0123456789abcdef', SNILS_HMAC_KEY: 'snils-hmac-key-0123456789abcdef', KEY_ENCRYPTION_KEY: 'key-encryption-key-0123456789ab',
  ESIA_CLIENT_ID: 'EDIARY', ESIA_KEY_FILE: '/run/secrets/esia-key.pem', ESIA_CERT_FILE: '/etc/esia/cert.pem', ESIA_TOKEN_CERT_FILE: '/etc/esia/esia.pem',
};

const problemsOf = (env: Record<string, string>): string => configProblems(env).join('\n');

t.test('production refuses the openssl signer against the real ESIA, naming the override', async (t) => {
  for (const env of [{ ESIA_URL: 'https://esia.gosuslugi.ru' }, { ESIA_ENVIRONMENT: 'production' }, { ESIA_URL: 'https://esia-proxy.region.ru' }] as Record<string, string>[]) {
    t.match(problemsOf({ ...production, ...env }), /ESIA_SIGNER: openssl is not certified cryptography \(СКЗИ class КС3\)[\s\S]*ESIA_ALLOW_UNCERTIFIED_SIGNER=true/, JSON.stringify(env));
  }
  t.match(problemsOf({ ...production, ESIA_URL: 'https://esia.gosuslugi.ru', ESIA_ALLOW_UNCERTIFIED_SIGNER: 'false' }), /openssl is not certified/);
  // The in-process signer is the same engine, so the same refusal and the same key settings.
  t.match(problemsOf({ ...production, ESIA_URL: 'https://esia.gosuslugi.ru', ESIA_SIGNER: 'engine' }), /ESIA_SIGNER: engine is not certified cryptography \(СКЗИ class КС3\)/);
  const { ESIA_KEY_FILE: _key, ...withoutKey } = production;
  t.match(problemsOf({ ...withoutKey, ESIA_ENVIRONMENT: 'test', ESIA_SIGNER: 'engine' }), /ESIA_KEY_FILE: required in production/);
});

t.test('with ESIA_ALLOW_UNCERTIFIED_SIGNER it starts, and warns in the start log and in /readyz', async (t) => {
  const config = loadConfig({ ...production, ESIA_URL: 'https://esia.gosuslugi.ru', ESIA_ALLOW_UNCERTIFIED_SIGNER: 'true' });
  t.equal(config.esia.environment, 'production');
  t.match(config.esia.warnings, [/ESIA_ALLOW_UNCERTIFIED_SIGNER: signing for ESIA's production environment with openssl/]);
  t.ok(config.warnings.includes(config.esia.warnings[0]!), 'logged at every start with the other configuration warnings');

  const broker = await startBroker({ embedded: true, overrides: (deps) => ({ config: { ...deps.config, esia: { ...deps.config.esia, warnings: config.esia.warnings } } }) });
  t.teardown(() => broker.close());
  const ready = await fetch(`${broker.url}/readyz`);
  t.equal(ready.status, 200, 'an accepted risk does not make the broker unready');
  t.match(await ready.json(), { status: 'ok', warnings: config.esia.warnings });
});

t.test('the emulator and ESIA test environment are not production ESIA: openssl is allowed', async (t) => {
  for (const env of [
    { ESIA_URL: 'http://localhost:3100' },
    { ESIA_URL: 'http://127.0.0.1:41234' },
    { ESIA_URL: 'http://esia-emulator:3100', ESIA_ENVIRONMENT: 'emulator' },
    { ESIA_URL: 'https://esia-portal1.test.gosuslugi.ru' },
    { ESIA_ENVIRONMENT: 'test' },
  ] as Record<string, string>[]) {
    const config = loadConfig({ ...production, ...env });
    t.same(config.esia.warnings, [], JSON.stringify(env));
    t.equal(config.esia.signer.kind, 'openssl');
  }
  t.equal(problemsOf({ ...production, ESIA_URL: 'https://esia.gosuslugi.ru', ESIA_SIGNER: 'http', ESIA_SIGNER_URL: 'https://signer/sign', ESIA_SIGNER_TOKEN: 'token-0123456789' }), '', 'the http signer is a production path');
  t.equal(problemsOf({ ...production, ESIA_URL: 'https://esia.gosuslugi.ru', ESIA_SIGNER: 'cryptopro', ESIA_CRYPTOPRO_CONTAINER: 'edi' }), '', 'so is cryptopro');
});

t.test('which environment an ESIA_URL points at', async (t) => {
  t.equal(environmentOfUrl('https://esia.gosuslugi.ru'), 'production');
  t.equal(environmentOfUrl('https://ESIA.gosuslugi.ru/'), 'production');
  t.equal(environmentOfUrl('https://esia-portal1.test.gosuslugi.ru'), 'test');
  t.equal(environmentOfUrl('http://localhost:3100'), 'emulator');
  t.equal(environmentOfUrl('http://[::1]:3100'), 'emulator');
  t.equal(environmentOfUrl('http://esia-emulator:3100'), 'production', 'an unknown host is treated as production');
  t.match(problemsOf({ ...production, ESIA_URL: 'https://esia.gosuslugi.ru', ESIA_ENVIRONMENT: 'emulator' }), /ESIA_ENVIRONMENT: emulator contradicts ESIA_URL/);
  t.match(problemsOf({ ...production, ESIA_ENVIRONMENT: 'staging' }), /ESIA_ENVIRONMENT: must be emulator, test or production/);
});

t.test('presets: base URL and issuer per environment, ESIA_URL and ESIA_ISSUER override', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cfg-esia-env-'));
  t.match(loadConfig({ DATA_DIR: dataDir }).esia, { environment: 'emulator', url: 'http://localhost:3100', issuer: 'http://localhost:3100/' }, 'development defaults to the emulator');
  t.match(loadConfig({ ...production, ESIA_ENVIRONMENT: 'test' }).esia, { environment: 'test', url: 'https://esia-portal1.test.gosuslugi.ru', issuer: 'http://esia-portal1.test.gosuslugi.ru/' });
  const prod = loadConfig({ ...production, ESIA_ENVIRONMENT: 'production', ESIA_SIGNER: 'cryptopro', ESIA_CRYPTOPRO_CONTAINER: 'edi' }).esia;
  t.match(prod, { environment: 'production', url: 'https://esia.gosuslugi.ru', issuer: 'http://esia.gosuslugi.ru/' });
  const overridden = loadConfig({ ...production, ESIA_ENVIRONMENT: 'test', ESIA_URL: 'https://esia-gw.region.ru', ESIA_ISSUER: 'http://esia-portal1.test.gosuslugi.ru/' }).esia;
  t.match(overridden, { environment: 'test', url: 'https://esia-gw.region.ru', issuer: 'http://esia-portal1.test.gosuslugi.ru/' });
  t.equal(loadConfig({ ...production, ESIA_ENVIRONMENT: 'test', ESIA_URL: 'https://esia-gw.region.ru' }).esia.issuer, undefined, 'a URL of its own: the issuer is derived from it');
});

t.test('ESIA environments other than the emulator need real keys, even in development', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cfg-esia-env-'));
  t.match(problemsOf({ DATA_DIR: dataDir, ESIA_ENVIRONMENT: 'test' }), /development keys work with the emulator only[\s\S]*ESIA_KEY_FILE/);
  t.match(problemsOf({ NODE_ENV: 'production', ESIA_ENVIRONMENT: 'production' }), /ESIA_TOKEN_CERT_FILE: required in production \(ESIA certificate\(s\) that sign its tokens: https:\/\/esia\.gosuslugi\.ru\/public\/esia\.zip/);
  t.notMatch(problemsOf({ NODE_ENV: 'production', ESIA_ENVIRONMENT: 'production' }), /ESIA_URL: required/, 'the preset gives the URL');
});

t.test("the compose demo's production broker against the emulator loads, openssl and all, with no warning", async (t) => {
  const compose = parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'docker-compose.yml'), 'utf8')) as { services: Record<string, { environment: Record<string, string> }> };
  // As compose fills them: ${NAME:-default} takes its default, ${NAME:?…} a secret from .env.
  const fill = (value: string) => value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1').replace(/\$\{[A-Z_]+:\?[^}]*\}/g, 'compose-secret-0123456789abcdef');
  const env = Object.fromEntries(Object.entries(compose.services['broker']!.environment).map(([name, value]) => [name, fill(value)]));
  const config = loadConfig(env);
  t.equal(config.isProduction, true);
  t.match(config.esia, { environment: 'emulator', url: 'http://localhost:3100', signer: { kind: 'openssl' }, warnings: [] });
  const { ESIA_ENVIRONMENT: _declared, ...undeclared } = env;
  t.equal(loadConfig(undeclared).esia.environment, 'emulator', 'localhost is the emulator even undeclared');
});
