import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CATALOGUE_BEGIN, CATALOGUE_END, withCatalogue } from '../../../src/policy/reason-catalogue.js';
import { REDIRECT_ONLY_CODES, REDIRECT_ONLY_GUIDE } from '../../../src/policy/reason-guide.js';
import { REASONS, REASON_CODES } from '../../../src/policy/reasons.js';

/** docs/oidc.md's reason-code catalogue against the code: no code missing, none made up, no stale text. */
const doc = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'oidc.md'), 'utf8');
const table = doc.slice(doc.indexOf(CATALOGUE_BEGIN), doc.indexOf(CATALOGUE_END));
const rows = [...table.matchAll(/^\| `([a-z_]+)` \| `([a-z_]+)` \|(.*)$/gm)].map(([, code, error, rest]) => ({ code: code!, error: error!, title: /«([^»]+)»/.exec(rest!.split(' | ')[1] ?? '')?.[1] }));

t.test('every code a refusal can carry has its row in docs/oidc.md, and every row is a code', async (t) => {
  t.ok(table.length > 0, 'the catalogue markers are there');
  t.same(rows.map((row) => row.code).sort(), [...REASON_CODES, ...REDIRECT_ONLY_CODES].sort());
});

t.test('each row says what the code says: the OAuth error and the Russian page title', async (t) => {
  for (const row of rows) {
    const reason = REASONS[row.code as keyof typeof REASONS] as (typeof REASONS)[keyof typeof REASONS] | undefined;
    if (!reason) {
      t.equal(row.error, REDIRECT_ONLY_GUIDE[row.code as keyof typeof REDIRECT_ONLY_GUIDE].error, `${row.code}: error (no page of ours)`);
      t.equal(row.title, undefined, `${row.code}: no page title`);
      continue;
    }
    t.equal(row.error, reason.oauthError, `${row.code}: error`);
    t.equal(row.title, reason.title, `${row.code}: the title the person reads`);
  }
});

t.test('the table is exactly what `npm run docs:reasons` writes', async (t) => {
  t.equal(withCatalogue(doc), doc, 'docs/oidc.md is up to date (run npm run docs:reasons)');
});
