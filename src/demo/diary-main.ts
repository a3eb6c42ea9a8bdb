import { z } from 'zod';
import { DEMO_CLASSES, DEMO_REGION, DEMO_SCHOOLS } from './demo-data.js';
import { createDiaryApp } from './diary/diary-app.js';
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET } from './seed.js';

/**
 * The demo diary as its own process (docker compose's demo-diary service): an OIDC client of
 * the broker at DIARY_ISSUER and nothing more. `npm run demo` runs it in-process instead.
 */
const env = z
  .object({
    DIARY_ISSUER: z.url().default('http://localhost:3000'),
    DIARY_PUBLIC_URL: z.url().default('http://localhost:3001'),
    DIARY_CLIENT_ID: z.string().min(1).default(DEMO_CLIENT_ID),
    DIARY_CLIENT_SECRET: z.string().min(1).default(DEMO_CLIENT_SECRET),
    DIARY_REGION: z.string().regex(/^\d{2}$/).default(DEMO_REGION),
    HOST: z.string().min(1).default('0.0.0.0'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3001),
  })
  .safeParse(process.env);
if (!env.success) {
  process.stderr.write(`demo-diary: ${env.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}\n`);
  process.exit(78);
}
const settings = env.data;

// The broker may still be starting: discovery is retried for up to a minute.
let app;
for (let attempt = 1; ; attempt += 1) {
  try {
    app = await createDiaryApp({
      issuer: settings.DIARY_ISSUER,
      clientId: settings.DIARY_CLIENT_ID,
      clientSecret: settings.DIARY_CLIENT_SECRET,
      publicUrl: settings.DIARY_PUBLIC_URL,
      region: settings.DIARY_REGION,
      schoolNames: DEMO_SCHOOLS,
      classesOf: DEMO_CLASSES,
      logger: true,
    });
    break;
  } catch (error) {
    if (attempt >= 30) throw error;
    process.stderr.write(`demo-diary: broker discovery at ${settings.DIARY_ISSUER} not ready (${error instanceof Error ? error.message : String(error)}), retrying\n`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}
await app.listen({ host: settings.HOST, port: settings.PORT });
process.stdout.write(`demo diary on ${settings.DIARY_PUBLIC_URL} (client ${settings.DIARY_CLIENT_ID} of ${settings.DIARY_ISSUER})\n`);

const stop = () => void app.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
