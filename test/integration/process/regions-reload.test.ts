import t from 'tap';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT, spawnBroker } from '../../helpers/spawn-broker.js';

/** The region table as a running process sees it: fail fast at start, reload on SIGHUP, published at /regions. */
const SHIPPED = join(ROOT, 'config', 'regions.json');

function configDir(regions?: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'esia-broker-regions-'));
  if (regions === undefined) copyFileSync(SHIPPED, join(dir, 'regions.json'));
  else writeFileSync(join(dir, 'regions.json'), JSON.stringify(regions));
  return dir;
}

type Group = { role: string; age_band: string; access: string; password_form: boolean };
type Policy = { region: string; enabled: boolean; mode: string; groups: Group[] };

t.test('a bad region table refuses to start, naming every problem', async (t) => {
  const dir = configDir({ regions: [{ code: '38', name: 'Иркутская область', loginHost: '38.dnevnik.ru', mode: 'sometimes' }, { code: '3' }] });
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const broker = spawnBroker({ PORT: '0', HOST: '127.0.0.1', CONFIG_DIR: dir, DATA_DIR: dir });
  const { code } = await broker.exit;
  t.not(code, 0);
  t.match(broker.output(), /invalid region table .*regions\.json/);
  t.match(broker.output(), /regions\.0\.mode/);
  t.match(broker.output(), /regions\.1\.code: must be a two-digit region code/);
});

t.test('/regions publishes the policy; SIGHUP swaps it without dropping a request; a bad file keeps the old rules', async (t) => {
  const dir = configDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const broker = spawnBroker({ PORT: '0', HOST: '127.0.0.1', CONFIG_DIR: dir, DATA_DIR: dir });
  t.teardown(() => broker.child.kill('SIGKILL'));
  const url = await broker.ready;
  const get = async (path: string) => {
    const response = await fetch(`${url}${path}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  const all = await get('/regions');
  t.equal(all.status, 200);
  t.equal((all.body['regions'] as Policy[]).length, 26);
  const irkutsk = (await get('/regions/38')).body as unknown as Policy;
  t.match(irkutsk, { region: '38', enabled: true, mode: 'esia_optional', login_url: 'https://38.dnevnik.ru', adult_age: 14 });
  t.match(irkutsk.groups.find((g) => g.role === 'teacher' && g.age_band === 'adult'), { access: 'esia_only', password_form: false }, 'the Irkutsk page: staff ESIA-only since 2018-12-01');
  t.match(irkutsk.groups.find((g) => g.role === 'student' && g.age_band === 'minor'), { access: 'esia_optional', password_form: true });
  t.match((await get('/regions/77')).body, { region: '77', enabled: false, mode: 'off' }, 'the ESIA-login help page: other regions keep the password form');
  const bad = await get('/regions/abc');
  t.equal(bad.status, 400);
  t.match(bad.body, { error: 'invalid_request' });

  const before = (await get('/regions/29')).body as unknown as Policy;
  t.ok(before.groups.every((g) => g.access === 'esia_only'), 'the Arkhangelsk login page: Arkhangelsk ESIA-only');

  // Hammer /regions/29 while the table is swapped: every answer is 200 and wholly old or wholly new.
  let running = true;
  const seen: string[] = [];
  const hammer = (async () => {
    while (running) {
      const { status, body } = await get('/regions/29');
      const accesses = new Set((body as unknown as Policy).groups.map((g) => g.access));
      seen.push(`${status}:${[...accesses].join('|')}`);
    }
  })();
  const table = JSON.parse(readFileSync(SHIPPED, 'utf8')) as { regions: Array<{ code: string; mode: string }> };
  table.regions.find((r) => r.code === '29')!.mode = 'off';
  writeFileSync(join(dir, 'regions.json'), JSON.stringify(table));
  await sleep(100);
  broker.child.kill('SIGHUP');
  let after: Policy | undefined;
  for (let i = 0; i < 100 && after?.mode !== 'off'; i++) {
    await sleep(50);
    after = (await get('/regions/29')).body as unknown as Policy;
  }
  // On a loaded machine a handful of answers may span the swap: hammer on until there are enough.
  for (let i = 0; i < 200 && seen.length <= 5; i++) await sleep(50);
  running = false;
  await hammer;
  t.equal(after?.mode, 'off', 'the new rules are served');
  // The log line travels through the child's stdout pipe and may trail the swap it reports.
  for (let i = 0; i < 100 && !/region table reloaded/.test(broker.output()); i++) await sleep(50);
  t.match(broker.output(), /"regions":26,"msg":"region table reloaded"/);
  t.ok(seen.length > 5, `${seen.length} requests during the reload`);
  t.ok(seen.every((s) => s === '200:esia_only' || s === '200:off'), 'no request dropped or mixed');

  writeFileSync(join(dir, 'regions.json'), '{"regions": [{"code": "29"}]}');
  broker.child.kill('SIGHUP');
  for (let i = 0; i < 100 && !/reload refused/.test(broker.output()); i++) await sleep(50);
  t.match(broker.output(), /region table reload refused, keeping the previous rules/);
  t.equal(((await get('/regions/29')).body as unknown as Policy).mode, 'off', 'the previous rules still serve');
  t.equal(((await get('/regions')).body['regions'] as Policy[]).length, 26);
});
