import t from 'tap';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegionsHolder, loadRegions, RegionsConfigError } from '../../../src/config/regions.js';

const SHIPPED = join(import.meta.dirname, '..', '..', '..', 'config', 'regions.json');

function dirWith(content?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'regions-'));
  if (content === undefined) copyFileSync(SHIPPED, join(dir, 'regions.json'));
  else writeFileSync(join(dir, 'regions.json'), content);
  return dir;
}

function problemsOf(dir: string): readonly string[] {
  try {
    loadRegions(dir);
  } catch (error) {
    if (error instanceof RegionsConfigError) return error.problems;
    throw error;
  }
  return [];
}

t.test('the shipped file loads', async (t) => {
  t.equal(loadRegions(dirWith()).regions.size, 26);
});

t.test('startup fails fast, naming the file and each problem', async (t) => {
  const missing = mkdtempSync(join(tmpdir(), 'regions-'));
  t.throws(() => loadRegions(missing), { name: 'RegionsConfigError', message: /regions\.json[\s\S]*cannot read the file \(ENOENT\)/ });
  t.match(problemsOf(dirWith('{"regions": [')).join(), /not valid JSON/);
  const problems = problemsOf(dirWith(JSON.stringify({ regions: [{ code: '38', name: 'И', loginHost: '38.dnevnik.ru', mode: 'esia_optional', adultAge: '14' }, { code: 'x' }] })));
  t.match(problems.join('\n'), /regions\.0\.adultAge/);
  t.match(problems.join('\n'), /regions\.1\.code: must be a two-digit region code/);
  t.match(problems.join('\n'), /regions\.1\.mode/);
});

t.test('reload swaps the snapshot; a request holding the old one keeps it whole', async (t) => {
  const dir = dirWith();
  const holder = createRegionsHolder(dir);
  const held = holder.current();
  t.equal(held.get('29')?.mode, 'esia_only');
  writeFileSync(join(dir, 'regions.json'), JSON.stringify({ regions: [{ code: '29', name: 'Архангельская область', loginHost: '29.dnevnik.ru', mode: 'off' }] }));
  t.same(holder.reload(), { ok: true, regions: 1 });
  t.equal(holder.current().get('29')?.mode, 'off', 'new requests see the new rules');
  t.equal(holder.current().get('38'), undefined);
  t.equal(held.get('29')?.mode, 'esia_only', 'the in-flight request still sees the old ones');
  t.equal(held.regions.size, 26);
});

t.test('a bad file on reload keeps the old rules serving', async (t) => {
  const dir = dirWith();
  const holder = createRegionsHolder(dir);
  const before = holder.current();
  writeFileSync(join(dir, 'regions.json'), JSON.stringify({ regions: [{ code: '38', mode: 'esia_only' }] }));
  const result = holder.reload();
  t.equal(result.ok, false);
  if (!result.ok) t.match(result.error.problems.join('\n'), /regions\.0\.name/);
  t.equal(holder.current(), before, 'same snapshot');
});
