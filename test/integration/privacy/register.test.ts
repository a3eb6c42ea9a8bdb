import t from 'tap';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { databaseBackends } from '../../helpers/backends.js';
import { REGISTER, REGISTER_MARKERS, renderRegisterTable } from '../../../src/admin/personal-data-register.js';
import { createStoreKeyHash } from '../../../src/crypto/store-key.js';
import { stateKeys } from '../../../src/oidc/state-keys.js';
import { linkFailuresKey, type LinkCounter } from '../../../src/accounts/keys.js';
import { adminLoginFailuresKey, adminSessionKey } from '../../../src/admin/admin-sessions.js';
import { esiaKeys } from '../../../src/esia/keys.js';
import { KNOWN_SNILS } from '../../fixtures/personal-data.js';
import { pendingResolutionKey } from '../../../src/http/login/pending-resolution.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
/** A key's family: its first two segments (`oidc:session:`), as the register lists them. */
export const familyOf = (key: string) => `${key.split(':').slice(0, 2).join(':')}:`;

const registeredColumns = new Set(REGISTER.filter((e) => e.store === 'postgres').flatMap((e) => e.fields.map((f) => `${e.where}.${f}`)));
const registeredFamilies = new Set(REGISTER.filter((e) => e.store === 'state').map((e) => e.where));

for (const backend of databaseBackends()) {
  t.test(`every column of the migrated schema is in the register (${backend.name})`, async (t) => {
    const handle = await backend.open();
    t.teardown(() => handle.close());
    const { rows } = await sql<{ t: string; c: string }>`select table_name as t, column_name as c from information_schema.columns where table_schema = 'public'`.execute(handle.db);
    const actual = new Set(rows.map((r) => `${r.t}.${r.c}`));
    t.ok(actual.size > 50, `read the schema (${actual.size} columns)`);
    t.same([...actual].filter((c) => !registeredColumns.has(c)).sort(), [], 'no column missing from the register (add it to src/admin/personal-data-register.ts)');
    t.same([...registeredColumns].filter((c) => !actual.has(c)).sort(), [], 'no registered column that the schema no longer has');
  });
}

t.test('every state-store key family is in the register', async (t) => {
  const counters: LinkCounter[] = ['login', 'esia', 'esia-day', 'ip'];
  const keys = [
    ...Object.values(stateKeys).map((make) => (make as (...args: unknown[]) => string)('x', 'y')),
    ...counters.map((c) => linkFailuresKey((v) => v, c, 'x')),
    adminSessionKey('x'),
    adminLoginFailuresKey((v) => v, 'x'),
    esiaKeys.pendingLogin('x'),
    pendingResolutionKey('x'),
  ];
  const families = new Set(keys.map(familyOf));
  t.same([...families].filter((f) => !registeredFamilies.has(f)).sort(), [], 'no key function outside the register');
  t.same([...registeredFamilies].filter((f) => !families.has(f)).sort(), [], 'no registered family without a key function');

  // A key written inline somewhere else would escape the list above: the sources say otherwise.
  const inline = new Set<string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (!['emulator', 'demo'].includes(name)) walk(path);
      } else if (name.endsWith('.ts')) {
        for (const m of readFileSync(path, 'utf8').matchAll(/`([a-z-]+:[a-z-]+:)\$\{/g)) inline.add(m[1]!);
      }
    }
  };
  walk(join(ROOT, 'src'));
  const notKeys = new Set(['admin:cli:', 'urn:esia:']);
  t.same([...inline].filter((f) => !notKeys.has(f) && !families.has(f)).sort(), [], 'no inline key family in src/ missing from the key functions');
});

t.test('keys built from untrusted input keep only its hash', async (t) => {
  const who = `introspect:${KNOWN_SNILS}@203.0.113.7`;
  const key = stateKeys.tokenRate(createStoreKeyHash('test-store-key-secret-0123456789')(who), 1);
  t.notMatch(key, KNOWN_SNILS, 'a SNILS sent as client_id does not reach Redis');
  t.notMatch(key, '203.0.113.7', 'nor the caller\'s address');
});

t.test('docs/personal-data.md shows the register as it is in src/', async (t) => {
  const doc = readFileSync(join(ROOT, 'docs', 'personal-data.md'), 'utf8');
  const start = doc.indexOf(REGISTER_MARKERS.start);
  const end = doc.indexOf(REGISTER_MARKERS.end);
  t.ok(start >= 0 && end > start, 'the doc has the register markers');
  t.equal(doc.slice(start + REGISTER_MARKERS.start.length + 1, end), renderRegisterTable(), 'the table is current (npx tsx src/admin/render-register.ts)');
  for (const entry of REGISTER) t.ok(entry.source && entry.purpose && entry.readers && entry.retention && entry.protection, `${entry.where} ${entry.fields.join(',')}: every column of the register filled`);
});
