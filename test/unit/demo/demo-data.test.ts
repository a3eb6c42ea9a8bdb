import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isValidSnils } from '../../../src/crypto/snils.js';
import { DEMO_PASSWORD, DEMO_PROFILES, DEMO_SCENARIOS } from '../../../src/demo/demo-data.js';
import { demoGuide, scenarioResult } from '../../../src/demo/guide.js';
import { DEFAULT_PERSONAS_FILE, type Persona } from '../../../src/emulator/index.js';
import { loadPersonas } from '../../../src/emulator/personas.js';

const personas = new Map<string, Persona>(loadPersonas(DEFAULT_PERSONAS_FILE).map((p) => [p.oid, p]));

t.test('every demo scenario is an emulator persona, under the same name', async (t) => {
  for (const scenario of DEMO_SCENARIOS) {
    const persona = personas.get(scenario.oid);
    t.ok(persona, `${scenario.oid} is in config/esia-personas.json`);
    t.equal(`${persona?.lastName} ${persona?.firstName} ${persona?.middleName}`, scenario.name, scenario.key);
  }
  t.equal(new Set(DEMO_SCENARIOS.map((s) => s.key)).size, DEMO_SCENARIOS.length, 'keys are unique');
});

t.test('demo profiles: unique ids and logins, valid SNILS, manual-link logins exist', async (t) => {
  t.equal(new Set(DEMO_PROFILES.map((p) => p.id)).size, DEMO_PROFILES.length);
  t.equal(new Set(DEMO_PROFILES.map((p) => p.login.toLowerCase())).size, DEMO_PROFILES.length);
  for (const profile of DEMO_PROFILES) if (profile.snils) t.ok(isValidSnils(profile.snils), `${profile.id} SNILS passes its checksum`);
  for (const scenario of DEMO_SCENARIOS) {
    const via = scenario.via;
    if (via?.kind === 'manual-link') t.ok(scenario.profiles.some((p) => p.login === via.login), `${scenario.key}: ${via.login} is seeded`);
    if (via?.kind === 'chooser') t.ok(scenario.profiles.length >= 2 && scenario.profiles.some((p) => p.roles.includes(via.pick)), `${scenario.key}: several profiles, one to pick`);
  }
});

t.test('the printed guide names the URL to open and every persona with its result', async (t) => {
  const guide = demoGuide({ diaryUrl: 'http://localhost:3001', brokerUrl: 'http://localhost:3000', emulatorUrl: 'http://localhost:3100', storage: 'x' });
  t.match(guide, /Open http:\/\/localhost:3001/);
  for (const scenario of DEMO_SCENARIOS) t.match(guide, `(${scenario.oid})`);
  t.match(guide, `lebedev / ${DEMO_PASSWORD}`, 'manual-link credentials are printed');
  t.equal(scenarioResult(DEMO_SCENARIOS.find((s) => s.key === 'parent-teacher')!), 'chooser → pick «teacher» → the diary: teacher, МАОУ «Лицей № 12», Иркутск');
  t.equal(scenarioResult(DEMO_SCENARIOS.find((s) => s.key === 'name-mismatch')!), 'refused: name_snils_mismatch');
});

t.test('the README shows the main job, the flow and the same persona table', async (t) => {
  const readme = readFileSync(join(import.meta.dirname, '..', '..', '..', 'README.md'), 'utf8');
  t.match(readme, /^npm install && npm run demo /m, 'the main-job command');
  t.match(readme, /^npm test /m);
  t.match(readme, /```mermaid\nsequenceDiagram/, 'the flow');
  for (const scenario of DEMO_SCENARIOS) {
    const row = readme.split('\n').find((line) => line.includes(`(\`${scenario.oid}\`)`) && line.includes(scenarioResult(scenario)));
    t.ok(row, `README row for ${scenario.key}: ${scenarioResult(scenario)}`);
  }
});
