import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_PERSONAS_FILE } from '../../../src/emulator/index.js';
import { loadPersonas, parsePersonas, PersonasFileError, personasJsonSchema } from '../../../src/emulator/personas.js';
import { scratchDir } from '../../helpers/emulator.js';

t.test('the committed JSON Schema is the one the code validates with', async (t) => {
  const committed = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'config', 'esia-personas.schema.json'), 'utf8')) as unknown;
  t.same(committed, personasJsonSchema(), 'regenerate with: npx esia-emulator --personas-schema > config/esia-personas.schema.json');
  t.ok(loadPersonas(DEFAULT_PERSONAS_FILE).length > 5, 'the shipped personas pass');
});

t.test('a bad personas file: every problem with its place, at once', async (t) => {
  const bad = { personas: [{ oid: 'x', label: 'a', trusted: 'yes', lastName: 'A', firstName: 'B', snils: '123' }, { oid: '1', label: 'b', trusted: true, lastName: 'C', firstName: 'D', shoeSize: 42 }] };
  const error = t.throws(() => parsePersonas(bad, 'my-personas.json')) as Error;
  t.type(error, PersonasFileError);
  t.match(error.message, /^my-personas\.json is not a valid personas file:/);
  t.match(error.message, /personas\[0\]\.oid: must be a decimal oid/);
  t.match(error.message, /personas\[0\]\.trusted: .*expected boolean/);
  t.match(error.message, /personas\[0\]\.snils: must be XXX-XXX-XXX YY/);
  t.match(error.message, /personas\[1\].*shoeSize/);
  t.throws(() => parsePersonas({ personas: [{ oid: '1', label: 'a', trusted: true, lastName: 'A', firstName: 'B' }, { oid: '1', label: 'b', trusted: false, lastName: 'C', firstName: 'D' }] }), /duplicate persona oid 1/);
  t.throws(() => parsePersonas({ personas: [{ oid: '1', label: 'a', trusted: true, lastName: 'A', firstName: 'B', kids: ['2'] }] }), /persona 1 lists kids that are not personas in the file: 2/);
  const file = join(scratchDir(), 'broken.json');
  writeFileSync(file, '{"personas": [');
  t.throws(() => loadPersonas(file), /broken\.json: cannot read it as JSON/);
});
