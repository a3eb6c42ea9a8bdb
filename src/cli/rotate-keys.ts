import { ConfigError, loadConfig } from '../config/index.js';
import { createConfiguredKeyRing } from '../oidc/provider.js';
import { databasePoolOptions, openDatabase } from '../store/postgres/database.js';
import { createPostgresSigningKeyRepo } from '../store/postgres/signing-keys-repo.js';

/**
 * `npm run keys:rotate` — adds a new ES256 and RS256 signing key, published in JWKS at once and
 * signing after OIDC_KEY_ACTIVATION_DELAY_SECONDS; the old keys stay published until their
 * tokens expired. `--now`: sign with the new keys at once. `--remove KID`: take a compromised
 * key out of JWKS immediately (a replacement is created if it was signing).
 */
async function main(args: string[]): Promise<void> {
  const config = loadConfig();
  const database = await openDatabase({ url: config.storage.databaseUrl, dataDir: config.storage.dataDir, ...databasePoolOptions(config) });
  try {
    const ring = createConfiguredKeyRing(config, createPostgresSigningKeyRepo(database.db));
    const removeAt = args.indexOf('--remove');
    if (removeAt >= 0) {
      const kid = args[removeAt + 1];
      if (!kid) throw new Error('--remove needs a kid');
      await ring.remove(kid);
      process.stdout.write(`removed ${kid} from JWKS\n`);
      return;
    }
    const delay = args.includes('--now') ? 0 : config.oidc.keyActivationDelaySeconds;
    const kids = await ring.rotate({ activationDelaySeconds: delay });
    process.stdout.write(`new keys ${kids.join(', ')}: published now, signing from ${new Date(Date.now() + delay * 1000).toISOString()}\n`);
  } finally {
    await database.close();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`keys rotation failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(error instanceof ConfigError ? 78 : 1);
});
