import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * A real browser for end-to-end tests: Debian's Chromium (`apt-get install chromium`; .ci/run
 * installs it) driven by playwright-core, headless. One browser per test file; one context
 * (fresh cookies) per scenario. Screenshots go to test/artifacts/screenshots/ (git-ignored).
 */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];
export const SCREENSHOT_DIR = join(import.meta.dirname, '..', 'artifacts', 'screenshots');

export type { Browser, BrowserContext, Page } from 'playwright-core';

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`no Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/** A phone's screen (iPhone X and later minis): 375 CSS px wide. */
export const PHONE_VIEWPORT = { width: 375, height: 812 };

/** A fresh context (own cookies) with short timeouts, so a broken flow fails fast with a clear step. */
export async function newPage(browser: Browser, options: { locale?: string; viewport?: { width: number; height: number } } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ locale: options.locale ?? 'ru-RU', viewport: options.viewport ?? { width: 1024, height: 720 } });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(15_000);
  return { context, page: await context.newPage() };
}

/** Saves a full-page PNG as test/artifacts/screenshots/<name>.png; returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name.replace(/[^\w.-]+/g, '-')}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
