import { launchBrowser, newPage, saveScreenshot } from '../test/helpers/browser.js';

/**
 * The browser leg of scripts/image-smoke.sh: Debian's Chromium opens the demo diary served from
 * the image, logs the adult Standard persona in on the emulator's page (as the demo tests do)
 * and checks that the diary backend accepted the broker's access token. Exit 0 or 1.
 * Usage: tsx scripts/image-smoke-login.ts http://127.0.0.1:PORT (the diary's public URL).
 */
const diaryUrl = process.argv[2];
if (!diaryUrl) {
  process.stderr.write('usage: tsx scripts/image-smoke-login.ts DIARY_URL\n');
  process.exit(2);
}

const expect = (what: string, actual: string | null, wanted: string) => {
  if (actual !== wanted) throw new Error(`${what}: got ${JSON.stringify(actual)}, expected ${JSON.stringify(wanted)}`);
  process.stdout.write(`  ok: ${what}\n`);
};

const browser = await launchBrowser();
try {
  const { page } = await newPage(browser);
  await page.goto(diaryUrl);
  await page.click('#login');
  await page.click('button[data-oid="1000000101"]');
  await page.click('button[value="grant"]');
  await page.waitForURL(`${diaryUrl}/me`);
  await saveScreenshot(page, 'image-smoke-adult-standard');
  expect('the diary greets the person', await page.textContent('#welcome'), 'Здравствуйте, Смирнова Елена Викторовна!');
  expect('ESIA account level', await page.getAttribute('#level', 'data-acr'), 'urn:esia:standard');
  expect('the diary backend accepted the access token', await page.getAttribute('#backend', 'data-subject'), 'demo-smirnova');
} catch (error) {
  process.stderr.write(`image smoke login failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
