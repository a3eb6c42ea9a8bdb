import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomToken } from '../crypto/random.js';

export const SECRET_NAMES = ['COOKIE_SECRET', 'SNILS_HMAC_KEY', 'KEY_ENCRYPTION_KEY', 'ADMIN_TOKEN', 'METRICS_TOKEN'] as const;
export type SecretName = (typeof SECRET_NAMES)[number];

/**
 * Development only: secrets the operator did not set are generated once and kept in
 * DATA_DIR/dev-secrets.json, so restarts keep sessions, SNILS hashes and encrypted keys valid.
 */
export function loadOrCreateDevSecrets(dataDir: string, missing: SecretName[]): Partial<Record<SecretName, string>> {
  const file = join(dataDir, 'dev-secrets.json');
  let stored: Partial<Record<SecretName, string>>;
  try {
    stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<Record<SecretName, string>>;
  } catch {
    stored = {};
  }
  let changed = false;
  for (const name of missing) {
    if (!stored[name]) {
      stored[name] = randomToken(32);
      changed = true;
    }
  }
  if (changed) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
  }
  return stored;
}
