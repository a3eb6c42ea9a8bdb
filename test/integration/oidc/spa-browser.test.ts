import t from 'tap';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { launchBrowser, newPage, saveScreenshot } from '../../helpers/browser.js';
import { startTestDemo } from '../../helpers/demo.js';

/**
 * A single-page diary on another origin logs in through the broker in a real browser
 * (Debian's Chromium) with a standard browser OIDC library, oidc-client-ts, served from
 * node_modules: discovery, authorization code + PKCE through the ESIA emulator, the code
 * exchanged by a fetch from the page to /token, /userinfo and /revoke from the page too.
 * Without CORS on those endpoints the browser blocks the library at its first step.
 */
const SPA_DIR = join(import.meta.dirname, '..', '..', 'fixtures', 'spa');
const LIBRARY = join(dirname(createRequire(import.meta.url).resolve('oidc-client-ts/package.json')), 'dist', 'browser', 'oidc-client-ts.min.js');

const demo = await startTestDemo();
t.teardown(() => demo.close());

const files: Record<string, { type: string; body: () => string }> = {
  '/': { type: 'text/html', body: () => readFileSync(join(SPA_DIR, 'index.html'), 'utf8') },
  '/callback': { type: 'text/html', body: () => readFileSync(join(SPA_DIR, 'index.html'), 'utf8') },
  '/app.js': { type: 'text/javascript', body: () => readFileSync(join(SPA_DIR, 'app.js'), 'utf8') },
  '/oidc-client-ts.js': { type: 'text/javascript', body: () => readFileSync(LIBRARY, 'utf8') },
  '/settings.js': { type: 'text/javascript', body: () => `window.SPA_SETTINGS = ${JSON.stringify({ authority: demo.brokerUrl, clientId: 'spa-diary' })};` },
};
const spa: Server = createServer((request, response) => {
  const file = files[new URL(request.url ?? '/', 'http://spa').pathname];
  if (!file) return void response.writeHead(404).end();
  response.writeHead(200, { 'content-type': `${file.type}; charset=utf-8`, 'cache-control': 'no-store' }).end(file.body());
});
await new Promise<void>((resolve) => spa.listen(0, '127.0.0.1', resolve));
t.teardown(() => new Promise<void>((resolve) => spa.close(() => resolve())));
const spaUrl = `http://127.0.0.1:${(spa.address() as AddressInfo).port}`;

// A public client: no secret, PKCE; its origin comes from its redirect URI.
await demo.deps.clients.upsert({
  clientId: 'spa-diary',
  name: 'Дневник (одностраничное приложение)',
  authMethod: 'none',
  secretHash: undefined,
  jwks: undefined,
  redirectUris: [`${spaUrl}/callback`],
  postLogoutRedirectUris: [`${spaUrl}/`],
  regions: ['38'],
  allowedScopes: ['openid', 'profile'],
  allowedResources: [],
  idTokenAlg: 'RS256',
  refreshTokenTtlSeconds: 0,
});

const browser = await launchBrowser();
t.teardown(() => browser.close());

t.test('oidc-client-ts in Chromium logs in from another origin', async (t) => {
  t.not(new URL(spaUrl).origin, new URL(demo.brokerUrl).origin, 'the app lives on another origin');
  const { context, page } = await newPage(browser);
  t.teardown(() => context.close());
  const fromPage: Array<{ method: string; path: string; origin: string | undefined; status: number }> = [];
  const pending: Array<Promise<void>> = [];
  page.on('response', (response) => {
    const url = new URL(response.url());
    if (url.origin !== new URL(demo.brokerUrl).origin || response.request().resourceType() === 'document') return;
    // allHeaders: the Origin header is added by the network stack, not by the page.
    pending.push(response.request().allHeaders().then((headers) => void fromPage.push({ method: response.request().method(), path: url.pathname, origin: headers['origin'], status: response.status() })));
  });
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });

  await page.goto(spaUrl);
  await page.click('#login');
  await page.waitForURL(`${demo.emulatorUrl}/**`);
  await page.click('button[data-oid="1000000101"]');
  await page.click('button[value="grant"]');
  await page.waitForURL(`${spaUrl}/callback**`);
  await page.waitForFunction("document.getElementById('result').textContent !== ''");
  const result = JSON.parse((await page.textContent('#result')) ?? '{}') as Record<string, unknown>;
  await saveScreenshot(page, 'spa-oidc-client-ts');

  t.same(consoleErrors.filter((line) => /CORS|Access-Control/i.test(line)), [], 'no CORS error in the console');
  t.notOk(result['error'], `no error in the app: ${String(result['error'])}`);
  t.equal(result['sub'], 'demo-smirnova', 'the library holds the person’s id_token claims');
  t.equal(result['acr'], 'urn:esia:standard');
  t.equal(result['hasAccessToken'], true);
  t.equal(result['revoked'], true);

  await Promise.all(pending);
  const call = (method: string, path: string) => fromPage.find((r) => r.method === method && r.path === path);
  t.match(call('GET', '/.well-known/openid-configuration'), { status: 200, origin: spaUrl }, 'discovery fetched from the page');
  t.match(call('POST', '/token'), { status: 200, origin: spaUrl }, 'the code exchanged by a fetch from the page');
  t.match(call('GET', '/userinfo'), { status: 200, origin: spaUrl }, 'userinfo with a bearer header');
  t.match(call('POST', '/revoke'), { status: 200, origin: spaUrl }, 'revocation from the page');
});

t.test('a page on an unregistered origin cannot read /token', async (t) => {
  const stranger = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>x</title>'));
  await new Promise<void>((resolve) => stranger.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => stranger.close(() => resolve())));
  const { context, page } = await newPage(browser);
  t.teardown(() => context.close());
  await page.goto(`http://127.0.0.1:${(stranger.address() as AddressInfo).port}/`);
  const outcome = await page.evaluate(async (token) => {
    try {
      const response = await fetch(token, { method: 'POST', body: new URLSearchParams({ grant_type: 'authorization_code', code: 'x', client_id: 'spa-diary' }) });
      return `read ${response.status}`;
    } catch (error) {
      return `blocked: ${String(error)}`;
    }
  }, `${demo.brokerUrl}/token`);
  t.match(outcome, /^blocked/, 'the browser withholds the answer');
  const discovery = await page.evaluate(async (url) => (await fetch(url)).status, `${demo.brokerUrl}/.well-known/openid-configuration`);
  t.equal(discovery, 200, 'discovery is readable from anywhere');
});
