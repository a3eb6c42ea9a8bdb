import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ConfigError, knownSettingNames, loadConfig } from '../../../src/config/index.js';
import { SECRET_NAMES } from '../../../src/config/secrets.js';

// No Docker engine runs here: these checks keep the deploy files in step with the config.
const root = join(import.meta.dirname, '..', '..', '..');
const known = new Set(knownSettingNames());
type Service = { environment?: Record<string, string>; healthcheck?: unknown; depends_on?: Record<string, { condition: string }>; volumes?: string[] };
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
type ProdService = Service & { ports?: string[]; secrets?: string[]; network_mode?: string };
const prod = parse(readFileSync(join(root, 'docker-compose.prod.yml'), 'utf8')) as { services: Record<string, ProdService>; secrets: Record<string, { file?: string }> };
const packageJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string> };

t.test('compose passes only settings the broker knows, and every production secret', async (t) => {
  const env = compose.services['broker']?.environment ?? {};
  for (const name of Object.keys(env)) t.ok(known.has(name), `${name} is a known setting`);
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'COOKIE_SECRET', 'SNILS_HMAC_KEY', 'KEY_ENCRYPTION_KEY', 'PUBLIC_URL']) {
    t.ok(name in env, `${name} is passed`);
  }
  t.equal(env['NODE_ENV'], 'production');
});

t.test('startup is gated on healthy dependencies, with named volumes', async (t) => {
  for (const [name, service] of Object.entries(compose.services)) {
    if (name === 'broker') continue;
    t.ok(service.healthcheck, `${name} has a healthcheck`);
  }
  for (const [dependency, rule] of Object.entries(compose.services['broker']?.depends_on ?? {})) {
    t.equal(rule.condition, 'service_healthy', `broker waits for ${dependency}`);
  }
  t.ok(Object.keys(compose.volumes).length >= 2, 'named volumes');
});

t.test('the image runs compiled JS as a non-root user with a healthcheck', async (t) => {
  t.match(dockerfile, /^FROM .* AS build$/m, 'multi-stage');
  t.match(dockerfile, /npm ci --omit=dev/, 'no dev dependencies in the final image');
  t.match(dockerfile, /^USER node$/m, 'non-root');
  t.match(dockerfile, /^HEALTHCHECK /m);
  t.match(dockerfile, /^CMD \["node", (?:"--[a-z-]+=\d+", )*"dist\/src\/main.js"\]$/m, 'the broker, with V8 flags at most');
  for (const [, name] of dockerfile.matchAll(/^\s+([A-Z_]+)=/gm)) t.ok(known.has(name!), `Dockerfile ENV ${name} is a known setting`);
});

t.test('docker compose up runs the demo: emulator, broker and diary on one set of URLs', async (t) => {
  type DemoService = Service & { command?: string[]; network_mode?: string; ports?: string[] };
  const services = compose.services as Record<string, DemoService>;
  const emulator = services['esia-emulator']!;
  const broker = services['broker']!;
  const seed = services['demo-seed']!;
  const diary = services['demo-diary']!;
  t.ok(emulator && seed && diary, 'emulator, seed job and diary are services');

  // The browser and the services use the same URLs, so they share one network namespace.
  t.equal(broker.network_mode, 'service:esia-emulator');
  t.equal(diary.network_mode, 'service:esia-emulator');
  t.same(emulator.ports, ['3000:3000', '3001:3001', '3100:3100'], 'the namespace owner publishes all three ports');

  const env = (s: Service) => s.environment ?? {};
  t.equal(env(broker)['ESIA_URL'], env(emulator)['EMULATOR_PUBLIC_URL'], 'the broker calls ESIA where the emulator says it is (id_token iss)');
  t.equal(env(emulator)['EMULATOR_REDIRECT_URIS'], `${env(broker)['PUBLIC_URL']!.replace('${PUBLIC_URL:-', '').replace(/\}$/, '')}/esia/callback`, 'the emulator accepts the broker callback');
  t.equal(env(seed)['SNILS_HMAC_KEY'], env(broker)['SNILS_HMAC_KEY'], 'profiles are seeded with the broker\'s SNILS key');
  t.equal(env(seed)['DEMO_DIARY_URL'], env(diary)['DIARY_PUBLIC_URL'], 'the seeded client redirects to where the diary runs');

  // The broker reads the development keys the emulator generated, through the shared volume.
  const mountOf = (s: Service, volume: string) => s.volumes?.find((v) => v.startsWith(`${volume}:`))?.split(':')[1];
  t.equal(env(emulator)['DATA_DIR'], mountOf(emulator, 'esia-dev'));
  for (const name of ['ESIA_KEY_FILE', 'ESIA_CERT_FILE', 'ESIA_TOKEN_CERT_FILE']) {
    t.ok(env(broker)[name]?.startsWith(`${mountOf(broker, 'esia-dev')}/esia-dev/`), `${name} is in the esia-dev volume`);
  }

  // Every compiled entrypoint a service runs is built from a source file the image copies.
  for (const [name, service] of Object.entries(services)) {
    const script = service.command?.find((part) => part.startsWith('dist/'));
    if (!script) continue;
    const source = script.replace(/^dist\//, '').replace(/\.js$/, '.ts');
    t.ok(existsSync(join(root, source)), `${name} runs ${script}, built from ${source}`);
    t.match(dockerfile, new RegExp(`^COPY ${source.split('/')[0]} `, 'm'), `the image copies ${source.split('/')[0]}/`);
  }
  t.equal(seed.depends_on?.['broker']?.condition, 'service_healthy', 'seeds once the broker migrated the database');
  t.equal(diary.depends_on?.['demo-seed']?.condition, 'service_completed_successfully');
});

t.test('the image runs Node 24 LTS and has `esia-broker` on the PATH for npx and docker exec', async (t) => {
  const bases = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
  t.ok(bases.length >= 3, 'build, deps and runtime stages');
  for (const base of bases) t.equal(base, 'node:24-bookworm-slim', 'every stage on Node 24 LTS (Node 20 is end of life)');
  t.notMatch(dockerfile, /^# syntax=/m, 'no frontend image to fetch: the classic builder and offline BuildKit build it');
  // The global prefix holds the package (npx looks there) and its bin (the PATH).
  const bin = packageJson.bin['esia-broker']!;
  t.ok(statSync(join(root, bin)).mode & 0o111, `${bin} is executable`);
  t.match(dockerfile, /ln -s \/app \/usr\/local\/lib\/node_modules\/esia-broker/, 'the package is linked into the global prefix');
  t.match(dockerfile, new RegExp(`ln -s \\.\\./lib/node_modules/esia-broker/${bin.replace('.', '\\.')} /usr/local/bin/esia-broker`), 'its bin is on the PATH');
  t.match(dockerfile, /^COPY bin \.\/bin$/m);
});

t.test('the production compose file runs the broker alone, with every secret from a file', async (t) => {
  t.same(Object.keys(prod.services), ['broker'], 'no emulator, seed job or demo diary');
  const broker = prod.services['broker']!;
  const env = broker.environment ?? {};
  t.equal(env['NODE_ENV'], 'production');
  t.notOk(broker.network_mode, 'its own network, its own port');
  t.ok(broker.ports?.some((p) => p.endsWith(':3000')), 'publishes the broker port');
  for (const name of Object.keys(env)) {
    t.ok(known.has(name) || known.has(name.replace(/_FILE$/, '')), `${name} is a known setting (or its _FILE form)`);
  }
  // A secret is never a value in the file or the environment: only a path under /run/secrets.
  for (const name of [...SECRET_NAMES, 'DATABASE_URL', 'REDIS_URL', 'ESIA_KEY_PASSPHRASE', 'ESIA_SIGNER_TOKEN', 'ESIA_CRYPTOPRO_PASSWORD']) {
    t.notOk(name in env, `${name} is not given as a value`);
  }
  const fromSecrets = Object.entries(env).filter(([, value]) => value.startsWith('/run/secrets/'));
  for (const name of ['DATABASE_URL_FILE', 'REDIS_URL_FILE', 'COOKIE_SECRET_FILE', 'SNILS_HMAC_KEY_FILE', 'KEY_ENCRYPTION_KEY_FILE', 'ESIA_KEY_FILE', 'ESIA_CERT_FILE', 'ESIA_TOKEN_CERT_FILE']) {
    t.ok(fromSecrets.some(([n]) => n === name), `${name} points into /run/secrets`);
  }
  for (const [name, path] of fromSecrets) {
    const secret = path.replace('/run/secrets/', '');
    t.ok(broker.secrets?.includes(secret), `${name}: the service mounts the ${secret} secret`);
    t.match(prod.secrets[secret]?.file, /^\.\/secrets\//, `${secret} comes from a file under ./secrets/`);
  }
  for (const name of ['ESIA_URL', 'ESIA_CLIENT_ID', 'PUBLIC_URL']) t.match(env[name], new RegExp(`^\\$\\{${name}:\\?`), `${name} must be given (no emulator default)`);
});

t.test('the production compose settings pass the production config check', async (t) => {
  // Secrets as the files compose mounts, other values as an operator's .env gives them.
  const dir = mkdtempSync(join(tmpdir(), 'esia-prod-compose-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const values: Record<string, string> = {
    database_url: 'postgres://esia_broker:pw@db.internal:5432/esia_broker',
    redis_url: 'redis://redis.internal:6379',
  };
  for (const secret of Object.keys(prod.secrets)) writeFileSync(join(dir, secret), `${values[secret] ?? 'x'.repeat(32)}\n`);
  const operator: Record<string, string> = { PUBLIC_URL: 'https://id.example.org', ESIA_URL: 'https://esia-portal1.test.gosuslugi.ru', ESIA_CLIENT_ID: 'SCHOOL_DIARY' };
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(prod.services['broker']?.environment ?? {})) {
    env[name] = value.replace('/run/secrets/', `${dir}/`).replace(/^\$\{(\w+)(?::\?[^}]*|:-([^}]*))\}$/, (_, v: string, fallback?: string) => operator[v] ?? fallback ?? '');
  }
  let config;
  try {
    config = loadConfig(env);
  } catch (error) {
    t.fail(error instanceof ConfigError ? error.message : String(error));
    return;
  }
  t.equal(config.isProduction, true);
  t.equal(config.storage.databaseUrl, values['database_url'], 'DATABASE_URL read from its file');
  t.equal(config.storage.redisUrl, values['redis_url'], 'REDIS_URL read from its file');
  t.equal(config.esia.url, 'https://esia-portal1.test.gosuslugi.ru');
  t.equal(config.esia.devKeysDir, undefined, 'no development keys');
});

t.test('`npm run test:image` is the image smoke script, and CI does not run it', async (t) => {
  t.equal(packageJson.scripts['test:image'], 'bash scripts/image-smoke.sh');
  t.ok(statSync(join(root, 'scripts', 'image-smoke.sh')).mode & 0o111, 'the script is executable');
  const ciCommands = readFileSync(join(root, '.ci', 'run'), 'utf8').split('\n').filter((line) => !line.trimStart().startsWith('#'));
  t.notMatch(ciCommands.join('\n'), /test:image|image-smoke/, 'too slow for every CI run');
});

t.test('the image command docs/emulator.md gives is the one the image puts on the PATH, and the image smoke test runs it', async (t) => {
  const doc = readFileSync(join(root, 'docs', 'emulator.md'), 'utf8');
  const command = /`docker run [^`]*? esia-broker (\S+)`/.exec(doc)?.[1];
  t.equal(command, 'esia-emulator', 'docs/emulator.md: docker run … esia-broker esia-emulator');
  t.equal(packageJson.bin[command!], 'bin/esia-emulator.js', 'the package bin');
  t.match(dockerfile, new RegExp(`ln -s \\.\\./lib/node_modules/esia-broker/bin/esia-emulator\\.js /usr/local/bin/${command}\\b`), 'linked onto the PATH in the image');
  const smoke = readFileSync(join(root, 'scripts', 'image-smoke.sh'), 'utf8');
  t.match(smoke, new RegExp(`"\\$image" ${command} >/dev/null`), 'scripts/image-smoke.sh starts the emulator with that command');
});
