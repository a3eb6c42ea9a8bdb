import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { knownSettingNames } from '../../../src/config/index.js';

/** The broker's settings are listed once, in README's table; the other documents link to it. */
const ROOT = join(import.meta.dirname, '..', '..', '..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1));
const known = knownSettingNames();

t.test('every setting the broker reads has its row in README\'s table', async (t) => {
  t.ok(known.length > 50, `${known.length} settings`);
  t.same(known.filter((name) => !new RegExp(`^\\| [^|]*\`${name}\``, 'm').test(table)), []);
});

t.test('no other document keeps a second table of them', async (t) => {
  // docs/emulator.md lists the emulator's settings: another program, which happens to read DATA_DIR too.
  const docs = ['DEVELOPERS.md', ...readdirSync(join(ROOT, 'docs')).filter((name) => name !== 'emulator.md').map((name) => `docs/${name}`)];
  const rows = docs.flatMap((path) =>
    readFileSync(join(ROOT, path), 'utf8')
      .split('\n')
      .filter((line) => known.some((name) => line.startsWith(`| \`${name}\``)))
      .map((line) => `${path}: ${line.slice(0, 60)}`),
  );
  t.same(rows, []);
});
