import { z } from 'zod';
import { createSnilsHasher } from '../crypto/snils.js';
import { createPostgresClientRepo } from '../store/postgres/clients-repo.js';
import { migrateToLatest, openDatabase } from '../store/postgres/database.js';
import { createPostgresProfileWriter } from '../store/postgres/profiles-repo.js';
import { demoGuide } from './guide.js';
import { DEMO_CLIENT_SECRET, seedDemoClient, seedDemoProfiles } from './seed.js';

/**
 * `node dist/src/demo/seed-main.js` (docker compose's demo-seed job): the demo profiles and
 * the demo client into the broker's database, then the guide. Needs the broker's
 * SNILS_HMAC_KEY, or the seeded SNILS hashes would never match.
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

const database = await openDatabase({ url: settings.DATABASE_URL, dataDir: settings.DATA_DIR });
try {
  await migrateToLatest(database.db);
  const count = await seedDemoProfiles({ profiles: createPostgresProfileWriter(database.db), hashSnils: createSnilsHasher(settings.SNILS_HMAC_KEY) });
  await seedDemoClient(createPostgresClientRepo(database.db), settings.DEMO_DIARY_URL, settings.DEMO_CLIENT_SECRET);
  process.stdout.write(`demo-seed: ${count} demo profiles and the demo-diary client are in place\n`);
  process.stdout.write(
    demoGuide({
      diaryUrl: settings.DEMO_DIARY_URL,
      brokerUrl: settings.DEMO_BROKER_URL,
      emulatorUrl: settings.DEMO_EMULATOR_URL,
      storage: settings.DATABASE_URL ? 'PostgreSQL' : `embedded PGlite under ${settings.DATA_DIR}`,
    }),
  );
} finally {
  await database.close();
}
