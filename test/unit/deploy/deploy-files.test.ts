import t from 'tap';
import { readFileSync } from 'node:fs';
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
