import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/index.js';
import { configProblems } from '../../helpers/config-problems.js';

const secrets = {
  COOKIE_SECRET: 'cookie-secret-0123456789abcdef',
  SNILS_HMAC_KEY: 'snils-hmac-key-0123456789abcdef',
  KEY_ENCRYPTION_KEY: 'key-encryption-key-0123456789ab',
};
// Production ESIA signs through a certified signing service: openssl is refused there.
const esia = {
  ESIA_URL: 'https://esia.gosuslugi.ru', ESIA_CLIENT_ID: 'EDIARY', ESIA_SIGNER: 'http', ESIA_SIGNER_URL: 'https://signer.internal/sign', ESIA_SIGNER_TOKEN: 'signer-token-0123456789',
  ESIA_CERT_FILE: '/etc/esia/cert.pem', ESIA_TOKEN_CERT_FILE: '/etc/esia/esia-prod.pem',
};
const production = { NODE_ENV: 'production', DATABASE_URL: 'postgres://db/x', REDIS_URL: 'redis://redis:6379', ...secrets, ...esia };

const problemsOf = configProblems;

t.test('defaults on a bare development environment', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const config = loadConfig({ DATA_DIR: dataDir });
  t.equal(config.server.port, 3000);
  t.equal(config.server.publicUrl, 'http://localhost:3000');
  t.equal(config.storage.databaseUrl, undefined);
  t.equal(config.storage.migrateOnStart, true, 'the embedded database is migrated');
  t.ok(config.secrets.cookieSecret.length >= 32, 'dev secret generated');
  t.match(config.warnings.join(), /generated development secrets for COOKIE_SECRET, SNILS_HMAC_KEY, KEY_ENCRYPTION_KEY, ADMIN_TOKEN in /);
  const again = loadConfig({ DATA_DIR: dataDir });
  t.equal(again.secrets.snilsHmacKey, config.secrets.snilsHmacKey, 'dev secrets persist across restarts');
  t.notMatch(again.warnings.join('\n'), /generated development secrets/, 'a restart generates nothing and does not claim to');
  t.match(again.warnings.join('\n'), /using development secrets for COOKIE_SECRET, SNILS_HMAC_KEY, KEY_ENCRYPTION_KEY, ADMIN_TOKEN from .*dev-secrets\.json/);
  t.ok(Object.isFrozen(config.server), 'frozen');
});

t.test('"generated development secrets" names only what this start generated', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cfg-'));
  loadConfig({ DATA_DIR: dataDir, ADMIN_TOKEN: 'admin-token-0123456789abcdef' });
  // ADMIN_TOKEN was set the first time: now it is missing, so it alone is generated.
  const config = loadConfig({ DATA_DIR: dataDir });
  t.match(config.warnings.join('\n'), /generated development secrets for ADMIN_TOKEN in /);
  t.match(config.warnings.join('\n'), /using development secrets for COOKIE_SECRET, SNILS_HMAC_KEY, KEY_ENCRYPTION_KEY from /);
  const allSet = loadConfig({ DATA_DIR: dataDir, COOKIE_SECRET: 'c'.repeat(32), SNILS_HMAC_KEY: 's'.repeat(32), KEY_ENCRYPTION_KEY: 'k'.repeat(32), ADMIN_TOKEN: 'a'.repeat(32) });
  t.notMatch(allSet.warnings.join('\n'), /development secrets/, 'every secret set: nothing said about development secrets');
});

t.test('production refuses missing secrets, naming each', async (t) => {
  const problems = problemsOf({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/x', REDIS_URL: 'redis://r:6379', COOKIE_SECRET: secrets.COOKIE_SECRET });
  t.match(problems.join('\n'), /SNILS_HMAC_KEY: required in production/);
  t.match(problems.join('\n'), /KEY_ENCRYPTION_KEY: required in production/);
  t.notMatch(problems.join('\n'), /COOKIE_SECRET/);
});

t.test('production refuses the embedded backends', async (t) => {
  const problems = problemsOf({ NODE_ENV: 'production', ...secrets });
  t.match(problems.join('\n'), /REDIS_URL: required in production/);
  t.match(problems.join('\n'), /DATABASE_URL: required in production/);
});

t.test('every bad setting is listed at once', async (t) => {
  const problems = problemsOf({ ...production, PORT: 'eighty', LOG_LEVEL: 'loud', PUBLIC_URL: 'ftp://x', SNILS_HMAC_KEY: 'short' });
  t.match(problems.join('\n'), /PORT: must be a number/);
  t.match(problems.join('\n'), /LOG_LEVEL/);
  t.match(problems.join('\n'), /PUBLIC_URL: must be an http\(s\) URL/);
  t.match(problems.join('\n'), /SNILS_HMAC_KEY: must be at least 16 characters/);
  t.same(problemsOf({ ...production, PORT: '70000' }), ['PORT: must be between 0 and 65535']);
});

t.test('secrets from *_FILE, and not both', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const file = join(dir, 'kek');
  writeFileSync(file, 'file-key-encryption-key-0123456789\n');
  const config = loadConfig({ ...production, KEY_ENCRYPTION_KEY: undefined as unknown as string, KEY_ENCRYPTION_KEY_FILE: file });
  t.equal(config.secrets.keyEncryptionKey, 'file-key-encryption-key-0123456789', 'trimmed file contents');
  t.match(problemsOf({ ...production, KEY_ENCRYPTION_KEY_FILE: file }).join(), /set either KEY_ENCRYPTION_KEY or KEY_ENCRYPTION_KEY_FILE/);
  t.match(problemsOf({ ...production, KEY_ENCRYPTION_KEY: '', KEY_ENCRYPTION_KEY_FILE: join(dir, 'missing') }).join(), /cannot read/);
});

t.test('production without ADMIN_TOKEN (absent or empty) has none: the admin API is off, nothing is generated', async (t) => {
  t.equal(loadConfig(production).secrets.adminToken, undefined);
  t.equal(loadConfig({ ...production, ADMIN_TOKEN: '' }).secrets.adminToken, undefined);
  t.equal(loadConfig({ ...production, ADMIN_TOKEN: 'admin-token-0123456789abcdef' }).secrets.adminToken, 'admin-token-0123456789abcdef');
});

t.test('PUBLIC_URL loses its trailing slash', async (t) => {
  t.equal(loadConfig({ ...production, PUBLIC_URL: 'https://id.example.ru/' }).server.publicUrl, 'https://id.example.ru');
});

t.test('manual-link limits: the daily per-account cap defaults to 20 and is settable', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cfg-'));
  t.equal(loadConfig({ DATA_DIR: dataDir }).accounts.linkLimits.perEsiaAccountPerDay, 20);
  t.equal(loadConfig({ DATA_DIR: dataDir, LINK_MAX_DAILY_FAILURES_PER_ESIA_ACCOUNT: '30' }).accounts.linkLimits.perEsiaAccountPerDay, 30);
  t.match(problemsOf({ DATA_DIR: dataDir, LINK_MAX_DAILY_FAILURES_PER_ESIA_ACCOUNT: '0' }).join(), /LINK_MAX_DAILY_FAILURES_PER_ESIA_ACCOUNT/);
});

t.test('Redis Cluster: REDIS_CLUSTER_NODES gives the seed nodes; contradictions are named', async (t) => {
  const config = loadConfig({ ...production, REDIS_URL: 'rediss://:secret@cluster', REDIS_CLUSTER_NODES: 'redis-0:6379, redis-1:6380' });
  t.same(config.storage.redisCluster, { nodes: [{ host: 'redis-0', port: 6379 }, { host: 'redis-1', port: 6380 }] });
  t.equal(config.storage.redisSentinel, undefined);
  t.equal(loadConfig(production).storage.redisCluster, undefined, 'absent: a single Redis');
  t.same(problemsOf({ ...production, REDIS_CLUSTER_NODES: 'redis-0' }), ['REDIS_CLUSTER_NODES: must be host:port[,host:port…]']);
  t.same(problemsOf({ ...production, REDIS_CLUSTER_NODES: 'redis-0:6379', REDIS_SENTINELS: 's:26379' }), ['REDIS_CLUSTER_NODES: set either REDIS_CLUSTER_NODES or REDIS_SENTINELS, not both']);
  t.same(problemsOf({ ...production, REDIS_URL: 'redis://cluster/2', REDIS_CLUSTER_NODES: 'redis-0:6379' }), ['REDIS_URL: a Redis Cluster has database 0 only; remove the database number']);
  t.same(problemsOf({ ...production, REDIS_KEY_PREFIX: '{esia}:', REDIS_CLUSTER_NODES: 'redis-0:6379' }), ['REDIS_KEY_PREFIX: must not contain { or } with REDIS_CLUSTER_NODES (the keys carry their own hash tags)']);
  t.same(problemsOf({ ...production, REDIS_KEY_PREFIX: '{esia}:' }), [], 'braces are nobody\'s business without a cluster');
  t.same(problemsOf({ DATA_DIR: mkdtempSync(join(tmpdir(), 'cfg-')), ...secrets, REDIS_CLUSTER_NODES: 'redis-0:6379' }), ['REDIS_CLUSTER_NODES: needs REDIS_URL too (its user, password and TLS; its host is not used), e.g. redis://:password@cluster'], 'not silently the in-process store');
});
