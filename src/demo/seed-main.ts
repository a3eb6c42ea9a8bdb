import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { openAdminContext } from '../admin-deps.js';
import { loadConfig } from '../config/index.js';
import { createPostgresClientRepo } from '../store/postgres/clients-repo.js';
import { demoGuide } from './guide.js';
import { DEMO_CLIENT_SECRET, seedDemoClient, seedDemoProfiles } from './seed.js';

/**
 * `node dist/src/demo/seed-main.js` (docker compose's demo-seed job): the demo profiles
 * through the directory import and the demo client into the broker's database, then the
 * guide. Needs the broker's SNILS_HMAC_KEY, or the seeded SNILS hashes would never match.
 */
const env = z
  .object({
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
    DATA_DIR: z.string().min(1).default('./data'),
    SNILS_HMAC_KEY: z.string().min(16, 'SNILS_HMAC_KEY: the broker\'s key (at least 16 characters)'),
    DEMO_DIARY_URL: z.url().default('http://localhost:3001'),
    DEMO_BROKER_URL: z.url().default('http://localhost:3000'),
    DEMO_EMULATOR_URL: z.url().default('http://localhost:3100'),
    DEMO_CLIENT_SECRET: z.string().min(32).default(DEMO_CLIENT_SECRET),
  })
  .safeParse(process.env);
if (!env.success) {
  process.stderr.write(`demo-seed: ${env.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}\n`);
  process.exit(78);
}
const settings = env.data;

// The import needs the database and the SNILS key only; the other secrets are never used here.
const unused = () => randomBytes(24).toString('base64url');
const config = loadConfig({
  NODE_ENV: 'development',
  DATABASE_URL: settings.DATABASE_URL,
  DATA_DIR: settings.DATA_DIR,
  SNILS_HMAC_KEY: settings.SNILS_HMAC_KEY,
  COOKIE_SECRET: unused(),
  KEY_ENCRYPTION_KEY: unused(),
  ADMIN_TOKEN: unused(),
});
const admin = await openAdminContext(config, { migrate: true });
try {
  const seeded = await seedDemoProfiles(admin);
  await seedDemoClient(createPostgresClientRepo(admin.database.db), settings.DEMO_DIARY_URL, settings.DEMO_CLIENT_SECRET);
  process.stdout.write(`demo-seed: demo profiles imported (${seeded.created} created, ${seeded.updated} updated, ${seeded.unchanged} unchanged; ${seeded.unlinked} links reset), demo-diary client registered\n`);
  process.stdout.write(
    demoGuide({
      diaryUrl: settings.DEMO_DIARY_URL,
      brokerUrl: settings.DEMO_BROKER_URL,
      emulatorUrl: settings.DEMO_EMULATOR_URL,
      storage: settings.DATABASE_URL ? 'PostgreSQL' : `embedded PGlite under ${config.storage.dataDir}`,
    }),
  );
} finally {
  await admin.close();
}
