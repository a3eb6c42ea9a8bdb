import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOG_DIR } from '../helpers/log-capture.js';
import { KNOWN_EMAIL, KNOWN_PASSWORD, KNOWN_SNILS, KNOWN_SNILS_DIGITS } from '../fixtures/personal-data.js';

// Runs after the whole suite (see the npm test script): every line any test app logged.
const files = readdirSync(LOG_DIR).filter((name) => name.endsWith('.ndjson'));
const lines = files.flatMap((name) => readFileSync(join(LOG_DIR, name), 'utf8').split('\n').filter(Boolean));

t.ok(files.length >= 3, `logs were captured (${files.length} files)`);
t.ok(lines.length >= 20, `enough lines to mean something (${lines.length})`);
t.ok(lines.some((line) => line.includes('[redacted]')), 'redaction did happen somewhere');

for (const [label, needle] of [
  ['SNILS', KNOWN_SNILS],
  ['SNILS digits', KNOWN_SNILS_DIGITS],
  ['password', KNOWN_PASSWORD],
  ['e-mail', KNOWN_EMAIL],
] as const) {
  const hits = lines.filter((line) => line.includes(needle));
  t.equal(hits.length, 0, `no ${label} in any log line`, { found: hits.slice(0, 3).map((line) => line.slice(0, 200)) });
}

// pino's own keys are pino's: a field named `level` once made pipelines read level "standard".
const shadowed = lines.filter((line) => {
  const parsed = JSON.parse(line) as Record<string, unknown>;
  return typeof parsed.level !== 'number' || typeof parsed.time !== 'string' || (parsed.msg !== undefined && typeof parsed.msg !== 'string');
});
t.equal(shadowed.length, 0, "no log field shadows pino's level, time or msg", { found: shadowed.slice(0, 3).map((line) => line.slice(0, 200)) });
