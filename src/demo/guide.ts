import { DEMO_PASSWORD, DEMO_SCENARIOS, DEMO_SCHOOLS, type DemoScenario } from './demo-data.js';

/** What `npm run demo` prints: where to go, and which persona shows what. */
export interface GuideInput {
  diaryUrl: string;
  brokerUrl: string;
  emulatorUrl: string;
  storage: string;
  logFile?: string | undefined;
}

const ROLE_WORDS: Record<string, string> = { parent: 'parent', student: 'student', teacher: 'teacher', staff: 'staff', admin: 'admin' };

export function scenarioResult(scenario: DemoScenario): string {
  const steps: string[] = [];
  if (scenario.via?.kind === 'chooser') steps.push(`chooser → pick «${scenario.via.pick}»`);
  if (scenario.via?.kind === 'manual-link') steps.push(`link form: ${scenario.via.login} / ${DEMO_PASSWORD}`);
  const outcome = scenario.outcome;
  if (outcome.kind === 'diary') {
    const profile = scenario.profiles.find((p) => p.roles.join() === outcome.roles.join()) ?? scenario.profiles[0];
    const school = profile?.schoolIds[0] ? `, ${DEMO_SCHOOLS[profile.schoolIds[0]] ?? profile.schoolIds[0]}` : '';
    steps.push(`the diary: ${outcome.roles.map((r) => ROLE_WORDS[r] ?? r).join(', ')}${school}`);
  } else if (outcome.kind === 'link-refused') {
    steps.push(`the form refuses (audit: ${outcome.audited})`);
  } else {
    steps.push(`refused: ${outcome.reason}`);
  }
  return steps.join(' → ');
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

export function demoGuide(input: GuideInput): string {
  const rows = DEMO_SCENARIOS.map((s) => [
    `${s.name} (${s.oid})`,
    s.consent === 'deny' ? `${s.account}, «Отказать»` : s.account,
    scenarioResult(s),
  ]);
  const widths = [0, 1].map((i) => Math.max(...rows.map((r) => r[i]!.length)) + 2);
  const table = rows.map((r) => `  ${pad(r[0]!, widths[0]!)}${pad(r[1]!, widths[1]!)}${r[2]}`).join('\n');
  return `
esia-broker demo is running.

  Open ${input.diaryUrl}   (the demo diary: region 38, Иркутская область)

  broker  ${input.brokerUrl}   ESIA emulator  ${input.emulatorUrl}
  storage ${input.storage}${input.logFile ? `\n  logs    ${input.logFile}` : ''}

Press «Войти через госуслуги», pick a person on the emulator's page and press «Предоставить»:

  ${pad('Persona (ESIA oid)', widths[0]!)}${pad('ESIA account', widths[1]!)}What you see
${table}

Each start resets the demo profiles and their links. Log out in the diary (and leave
Gosuslugi on the broker's page) before trying another persona. Ctrl-C stops everything.
`;
}
