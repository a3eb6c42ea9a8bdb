import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchBrowser, newPage, saveScreenshot } from '../../helpers/browser.js';
import { insertProfile, registerClient, startOidcBroker, TestBrowser } from '../../helpers/oidc.js';

/**
 * The copy-paste configurations of docs/oidc.md work as printed: every fenced block marked
 * `<!-- snippet: id -->` is taken from the file and run against a live broker. Only the
 * example URLs are swapped for the test's (and openid-client is allowed http on 127.0.0.1).
 * spa: oidc-client-ts in Chromium on another origin; web: openid-client on the server side;
 * resource-server: jose validating the web app's access token; apache: mod_auth_openidc's
 * configuration passes `apache2ctl -t` (skipped when Apache or the module is not installed).
 */
const ROOT = join(import.meta.dirname, '..', '..', '..');
const DOC = readFileSync(join(ROOT, 'docs', 'oidc.md'), 'utf8');
const ISSUER_EXAMPLE = 'https://login.example.ru';

function snippet(id: string): string {
  const found = new RegExp(`<!-- snippet: ${id} -->\\n\`\`\`\\w+\\n([\\s\\S]*?)\\n\`\`\`\\n`).exec(DOC);
  if (!found) throw new Error(`docs/oidc.md has no snippet ${id}`);
  return found[1]!;
}

/** Replaces every `from` (at least one must be there: the snippet still says what the test assumes). */
function swap(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`the snippet no longer contains ${from}`);
  return text.split(from).join(to);
}

// Modules under the checkout, so that `import 'jose'` resolves to our node_modules.
const moduleDir = join(ROOT, 'test', 'artifacts', 'doc-snippets', String(process.pid));
mkdirSync(moduleDir, { recursive: true });
t.teardown(() => rmSync(moduleDir, { recursive: true, force: true }));
async function loadModule<T>(name: string, source: string): Promise<T> {
  const file = join(moduleDir, `${name}.mjs`);
  writeFileSync(file, source);
  return (await import(pathToFileURL(file).href)) as T;
}

const broker = await startOidcBroker();
t.teardown(() => broker.close());

t.test('the snippets are in docs/oidc.md', async (t) => {
  for (const id of ['spa', 'web', 'resource-server', 'apache']) t.ok(snippet(id).length > 100, id);
});

t.test('web (openid-client) logs in, refreshes and logs out; resource-server (jose) validates its access token', async (t) => {
  const profile = await insertProfile(broker.deps, { roles: ['parent'] });
  const web = await registerClient(broker.deps, {
    clientId: 'diary-web',
    redirectUris: ['https://diary.example.ru/oidc/callback'],
    postLogoutRedirectUris: ['https://diary.example.ru/'],
    allowedResources: ['https://api.diary.example.ru'],
  });
  broker.loginAs(() => ({ profile: { profileId: profile.id, esiaOid: '1000000777', level: 'standard', authTime: Math.floor(Date.now() / 1000) } }));
  process.env['DIARY_CLIENT_SECRET'] = web.secret;
  t.teardown(() => delete process.env['DIARY_CLIENT_SECRET']);

  let webSource = swap(snippet('web'), ISSUER_EXAMPLE, broker.url);
  webSource = swap(webSource, 'client.ClientSecretBasic(process.env.DIARY_CLIENT_SECRET))', 'client.ClientSecretBasic(process.env.DIARY_CLIENT_SECRET), { execute: [client.allowInsecureRequests] })');
  type Session = { tokens?: { access_token: string; refresh_token?: string; id_token?: string } };
  const app = await loadModule<{
    startLogin(session: Session): Promise<URL>;
    completeLogin(url: URL, session: Session): Promise<Record<string, unknown>>;
    refresh(session: Session): Promise<{ access_token: string; refresh_token?: string }>;
    logoutUrl(session: Session): URL;
  }>('web', webSource);
  const api = await loadModule<{ verifyAccessToken(token: string): Promise<Record<string, unknown>> }>('resource-server', swap(snippet('resource-server'), ISSUER_EXAMPLE, broker.url));

  const session: Session = {};
  const browser = new TestBrowser(broker.url);
  const { url: callback } = await browser.navigate((await app.startLogin(session)).href);
  t.match(callback, /^https:\/\/diary\.example\.ru\/oidc\/callback\?code=/, 'back at the diary with a code');
  const claims = await app.completeLogin(new URL(callback), session);
  t.equal(claims['sub'], profile.id, 'the id_token names the diary profile');

  const payload = await api.verifyAccessToken(session.tokens!.access_token);
  t.match(payload, { sub: profile.id, aud: 'https://api.diary.example.ru', scope: /diary/, roles: ['parent'] }, 'the resource server accepts the access token, diary claims and all');
  await t.rejects(api.verifyAccessToken(session.tokens!.id_token!), 'an id_token is not an access token (typ)');
  const [head, body, signature] = session.tokens!.access_token.split('.');
  await t.rejects(api.verifyAccessToken(`${head}.${body}.${signature!.slice(0, -4)}AAAA`), 'a forged signature is refused');

  const firstRefresh = session.tokens!.refresh_token;
  const refreshed = await app.refresh(session);
  t.not(refreshed.refresh_token, firstRefresh, 'the refresh token rotated');
  t.equal((await api.verifyAccessToken(refreshed.access_token))['sub'], profile.id, 'the refreshed access token is valid too');

  const { url: afterLogout } = await browser.navigate(app.logoutUrl(session).href);
  t.equal(afterLogout, 'https://diary.example.ru/', 'logout sends the browser back to the diary');
});

t.test('spa (oidc-client-ts) logs in and out from another origin in Chromium', async (t) => {
  const library = join(dirname(createRequire(import.meta.url).resolve('oidc-client-ts/package.json')), 'dist', 'browser', 'oidc-client-ts.min.js');
  let spaUrl = '';
  const page = () => `<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>SPA</title></head><body>
<button id="login">Войти</button><button id="logout">Выйти</button><pre id="result"></pre>
<script src="/oidc-client-ts.js"></script>
<script src="/diary-spa.js"></script>
<script>
const show = (value) => { document.getElementById('result').textContent = JSON.stringify(value); };
document.getElementById('login').addEventListener('click', () => login().catch((error) => show({ error: String(error) })));
document.getElementById('logout').addEventListener('click', () => logout().catch((error) => show({ error: String(error) })));
if (location.pathname === '/callback') completeLogin().then((user) => show({ sub: user.profile.sub, hasAccessToken: Boolean(user.access_token) }), (error) => show({ error: String(error) }));
</script></body></html>`;
  const files: Record<string, () => string> = {
    '/': page,
    '/callback': page,
    '/oidc-client-ts.js': () => readFileSync(library, 'utf8'),
    '/diary-spa.js': () => swap(swap(snippet('spa'), ISSUER_EXAMPLE, broker.url), 'https://spa.diary.example.ru', spaUrl),
  };
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://spa').pathname;
    const file = files[path];
    if (!file) return void response.writeHead(404).end();
    response.writeHead(200, { 'content-type': `${path.endsWith('.js') ? 'text/javascript' : 'text/html'}; charset=utf-8`, 'cache-control': 'no-store' }).end(file());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  spaUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const profile = await insertProfile(broker.deps, { roles: ['student'] });
  await registerClient(broker.deps, { clientId: 'diary-spa', authMethod: 'none', redirectUris: [`${spaUrl}/callback`], postLogoutRedirectUris: [`${spaUrl}/`], allowedScopes: ['openid', 'profile'], refreshTokenTtlSeconds: 0 });
  broker.loginAs(() => ({ profile: { profileId: profile.id, esiaOid: '1000000778', level: 'standard', authTime: Math.floor(Date.now() / 1000) } }));

  const chromium = await launchBrowser();
  t.teardown(() => chromium.close());
  const { context, page: tab } = await newPage(chromium);
  t.teardown(() => context.close());
  const slow = { timeout: 120_000 };
  await tab.goto(spaUrl, slow);
  await tab.click('#login', slow);
  await tab.waitForURL(`${spaUrl}/callback**`, slow);
  await tab.waitForFunction("document.getElementById('result').textContent !== ''", undefined, slow);
  const result = JSON.parse((await tab.textContent('#result')) ?? '{}') as Record<string, unknown>;
  await saveScreenshot(tab, 'docs-snippet-spa');
  t.notOk(result['error'], `no error in the app: ${String(result['error'])}`);
  t.same(result, { sub: profile.id, hasAccessToken: true }, 'the library holds the id_token claims and an access token');

  await tab.click('#logout', slow);
  await tab.waitForURL(`${spaUrl}/`, slow);
  t.pass('logout came back to post_logout_redirect_uri');
});

const apacheModule = '/usr/lib/apache2/modules/mod_auth_openidc.so';
const apachectl = ['/usr/sbin/apache2ctl', '/usr/sbin/apachectl'].find((path) => existsSync(path));
t.test('apache (mod_auth_openidc) configuration passes apache2ctl -t', { skip: !apachectl || !existsSync(apacheModule) ? 'apache2 and libapache2-mod-auth-openidc are not installed' : false }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'esia-broker-apache-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const modules = '/usr/lib/apache2/modules';
  const conf = join(dir, 'httpd.conf');
  // The smallest server around the snippet: the modules it needs, a pid file, a port (not bound by -t).
  writeFileSync(
    conf,
    [
      `ServerRoot ${dir}`,
      'ServerName localhost',
      `PidFile ${dir}/httpd.pid`,
      `ErrorLog ${dir}/error.log`,
      `DefaultRuntimeDir ${dir}`,
      `LoadModule mpm_event_module ${modules}/mod_mpm_event.so`,
      `LoadModule authn_core_module ${modules}/mod_authn_core.so`,
      `LoadModule authz_core_module ${modules}/mod_authz_core.so`,
      `LoadModule authz_user_module ${modules}/mod_authz_user.so`,
      `LoadModule auth_openidc_module ${apacheModule}`,
      'Listen 127.0.0.1:18999',
      snippet('apache'),
      '',
    ].join('\n'),
  );
  const env = { ...process.env, DIARY_OIDC_CLIENT_SECRET: 'a-client-secret-of-at-least-32-characters', DIARY_OIDC_PASSPHRASE: 'cGFzc3BocmFzZS1vZi0zMi1ieXRlcy1hdC1sZWFzdCE=' };
  const run = await new Promise<{ code: number; output: string }>((resolve) =>
    execFile(apachectl!, ['-t', '-f', conf], { env, timeout: 60_000 }, (error, stdout, stderr) => resolve({ code: error ? 1 : 0, output: `${stdout}${stderr}` })),
  );
  t.equal(run.code, 0, `apache2ctl -t: ${run.output.trim()}`);
  t.match(run.output, /Syntax OK/);
  t.notMatch(run.output, /is not defined/, 'every ${VARIABLE} of the snippet is one the docs tell to export');
});
