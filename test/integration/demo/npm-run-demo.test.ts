import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabaseUrl, uniqueSuffix } from '../../helpers/backends.js';
import { launchBrowser, newPage, saveScreenshot } from '../../helpers/browser.js';
import { captureLogFile } from '../../helpers/log-capture.js';
import { ROOT } from '../../helpers/spawn-broker.js';

/**
 * The README's main job, as a newcomer runs it: `npm run demo` in its own process group (as a
 * terminal runs it), on a fresh DATA_DIR (keys and secrets generated, PGlite on disk) — or on
 * real Postgres/Redis when the suite has them — then the printed URL in a real browser, the
 * adult Standard persona logs in, and Ctrl-C (SIGINT to the group) stops everything cleanly.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'esia-npm-demo-'));
const testDb = process.env['DATABASE_URL'] ? await createTestDatabaseUrl() : undefined;
t.teardown(async () => {
  await testDb?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

const env: Record<string, string> = {
  PATH: process.env['PATH'] ?? '',
  HOME: process.env['HOME'] ?? '',
  DATA_DIR: dataDir,
  DEMO_HOST: '127.0.0.1',
  DEMO_BROKER_PORT: '0',
  DEMO_DIARY_PORT: '0',
  DEMO_EMULATOR_PORT: '0',
  LOG_LEVEL: 'debug',
  // Into the suite's captured logs: the after-all step greps them for personal data.
  DEMO_LOG_FILE: captureLogFile(),
  ...(testDb ? { DATABASE_URL: testDb.url } : {}),
  ...(process.env['REDIS_URL'] ? { REDIS_URL: process.env['REDIS_URL'], REDIS_KEY_PREFIX: `test:${uniqueSuffix()}:` } : {}),
};

const child = spawn('npm', ['run', '--silent', 'demo'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
let output = '';
child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
const stopGroup = (signal: NodeJS.Signals) => {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
};
t.teardown(() => stopGroup('SIGKILL'));

const diaryUrl = await new Promise<string>((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`npm run demo printed no URL within 120 s:\n${output}`)), 120_000);
  const check = () => {
    const match = /Open (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
    if (match?.[1]) {
      clearTimeout(timer);
      resolve(match[1]);
    }
  };
  child.stdout.on('data', check);
  void exited.then(() => reject(new Error(`npm run demo exited:\n${output}`)));
});

t.test('the printed guide: the URL, the storage, every persona', async (t) => {
  t.match(output, testDb ? /storage PostgreSQL \(DATABASE_URL\)/ : /storage embedded PGlite under/);
  for (const oid of ['1000000101', '1000000107', '1000000108', '1000000110', '1000000111']) t.match(output, `(${oid})`);
  t.ok(existsSync(join(dataDir, 'esia-dev', 'client-key.pem')), 'development GOST keys generated under DATA_DIR');
});

t.test('following the printed URL, the adult Standard persona logs in', async (t) => {
  const browser = await launchBrowser();
  t.teardown(() => browser.close());
  const { page } = await newPage(browser);
  await page.goto(diaryUrl);
  await page.click('#login');
  await page.click('button[data-oid="1000000101"]');
  await page.click('button[value="grant"]');
  await page.waitForURL(`${diaryUrl}/me`);
  await saveScreenshot(page, 'npm-run-demo-adult-standard');
  t.equal(await page.textContent('#welcome'), 'Здравствуйте, Смирнова Елена Викторовна!');
  t.equal(await page.getAttribute('#level', 'data-acr'), 'urn:esia:standard');
  t.equal(await page.getAttribute('#backend', 'data-subject'), 'demo-smirnova', 'the diary backend accepted the access token');
});

t.test('Ctrl-C stops the diary, the broker and the emulator: every process of the group exits', async (t) => {
  stopGroup('SIGINT');
  const { code, signal } = await exited;
  // npm re-raises the SIGINT it got (as in a terminal); the demo itself closed everything first.
  t.ok(code === 0 || signal === 'SIGINT' || code === 130, `npm ended (code ${code}, signal ${signal})`);
  t.match(output, /SIGINT: stopping the diary, the broker and the emulator…\ndemo: stopped\n/);
  t.notMatch(output, /forced exit|timed out|Error/);
  let alive = true;
  for (let i = 0; i < 50 && alive; i += 1) {
    try {
      process.kill(-child.pid!, 0);
      await new Promise((resolve) => setTimeout(resolve, 100));
    } catch {
      alive = false;
    }
  }
  t.notOk(alive, 'no process of the demo is left');
  t.ok(await fetch(diaryUrl).then(() => false, () => true), 'nothing listens any more');
});
