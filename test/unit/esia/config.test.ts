import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/index.js';
import { configProblems } from '../../helpers/config-problems.js';

const secrets = { COOKIE_SECRET: 'cookie-secret-0123456789abcdef', SNILS_HMAC_KEY: 'snils-hmac-key-0123456789abcdef', KEY_ENCRYPTION_KEY: 'key-encryption-key-0123456789ab' };
const backends = { DATABASE_URL: 'postgres://db/x', REDIS_URL: 'redis://redis:6379' };

const problemsOf = (env: Record<string, string>): string => configProblems(env).join('\n');

t.test('development defaults: the local emulator and generated dev keys under DATA_DIR', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cfg-esia-'));
  const { esia } = loadConfig({ DATA_DIR: dataDir, PORT: '4000' });
  t.equal(esia.url, 'http://localhost:3100');
  t.equal(esia.clientId, 'ESIA_BROKER_DEV');
  t.equal(esia.redirectUri, 'http://localhost:4000/esia/callback');
  t.equal(esia.scope, 'openid fullname birthdate gender snils email id_doc');
  t.equal(esia.protocol, 'v2');
  t.same(esia.tokenAlgs, ['RS256']);
  t.equal(esia.devKeysDir, join(dataDir, 'esia-dev'));
  t.match(esia.signer, { kind: 'openssl', keyFile: join(dataDir, 'esia-dev', 'client-key.pem'), certFile: join(dataDir, 'esia-dev', 'client-cert.pem') });
  t.equal(esia.tokenCertFile, join(dataDir, 'esia-dev', 'esia-token-certs.pem'));
});

t.test('production names every missing ESIA setting', async (t) => {
  const problems = problemsOf({ NODE_ENV: 'production', ...secrets, ...backends });
  for (const name of ['ESIA_URL', 'ESIA_CLIENT_ID', 'ESIA_TOKEN_CERT_FILE', 'ESIA_KEY_FILE', 'ESIA_CERT_FILE']) t.match(problems, new RegExp(`${name}: required in production`));
});

t.test('production with everything given: no dev keys', async (t) => {
  const config = loadConfig({
    NODE_ENV: 'production', ...secrets, ...backends,
    ESIA_URL: 'https://esia-portal1.test.gosuslugi.ru/', ESIA_CLIENT_ID: 'EDIARY', ESIA_KEY_FILE: '/k.pem', ESIA_CERT_FILE: '/c.pem', ESIA_TOKEN_CERT_FILE: '/esia.pem',
    ESIA_SCOPES: '  openid   fullname snils ', ESIA_TOKEN_ALGS: 'RS256, GOST3410_2012_256', ESIA_CERT_HASH: 'cd6ea35843fde0212f301509edd5b51ba7c954782fa4de0608550a7fb35d80ee',
  });
  t.equal(config.esia.url, 'https://esia-portal1.test.gosuslugi.ru');
  t.equal(config.esia.scope, 'openid fullname snils', 'whitespace normalised: the same string is signed and sent');
  t.same(config.esia.tokenAlgs, ['RS256', 'GOST3410_2012_256']);
  t.equal(config.esia.devKeysDir, undefined);
  t.equal(config.esia.signer.certHash, 'CD6EA35843FDE0212F301509EDD5B51BA7C954782FA4DE0608550A7FB35D80EE');
});

t.test('bad combinations are refused with a reason', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cfg-esia-'));
  t.match(problemsOf({ DATA_DIR: dataDir, ESIA_SCOPES: 'fullname snils' }), /ESIA_SCOPES: must include openid/);
  t.match(problemsOf({ DATA_DIR: dataDir, ESIA_TOKEN_ALGS: 'HS256' }), /ESIA_TOKEN_ALGS/);
  t.match(problemsOf({ DATA_DIR: dataDir, ESIA_SIGNER: 'cryptopro', ESIA_PROTOCOL: 'v1' }), /ESIA_CRYPTOPRO_CONTAINER: required[\s\S]*needs CMS[\s\S]*ESIA_CERT_FILE: required with ESIA_SIGNER=cryptopro/);
  t.match(problemsOf({ DATA_DIR: dataDir, ESIA_SIGNER: 'http', ESIA_CERT_HASH: 'A'.repeat(64) }), /ESIA_SIGNER_URL: required[\s\S]*ESIA_SIGNER_TOKEN: required/);
  t.match(problemsOf({ DATA_DIR: dataDir, ESIA_CERT_HASH: 'abc' }), /ESIA_CERT_HASH: must be 64 hex/);
  t.match(problemsOf({ DATA_DIR: dataDir, ESIA_PROTOCOL: 'v3' }), /ESIA_PROTOCOL: must be v2/);
});
