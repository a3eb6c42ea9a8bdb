import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withCatalogue } from '../src/policy/reason-catalogue.js';

/** Rewrites the reason-code catalogue in docs/oidc.md from the code (`npm run docs:reasons`). */
const file = join(import.meta.dirname, '..', 'docs', 'oidc.md');
const before = readFileSync(file, 'utf8');
const after = withCatalogue(before);
if (after === before) console.log('docs/oidc.md: reason-code catalogue up to date');
else {
  writeFileSync(file, after);
  console.log('docs/oidc.md: reason-code catalogue rewritten');
}
