import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { knownSettingNames } from '../../../src/config/index.js';

// No Docker engine runs here: these checks keep the deploy files in step with the config.
const root = join(import.meta.dirname, '..', '..', '..');
const known = new Set(knownSettingNames());
type Service = { environment?: Record<string, string>; healthcheck?: unknown; depends_on?: Record<string, { condition: string }>; volumes?: string[] };
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');

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
  t.match(dockerfile, /CMD \["node", "dist\/src\/main.js"\]/);
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
