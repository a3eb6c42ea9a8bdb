import t from 'tap';
import { spawn, execFileSync } from 'node:child_process';
import { X509Certificate, createVerify, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// An ESIA client as an outside team would write it from docs/emulator.md alone: the emulator
// started through its bin, plain fetch, and the doc's own openssl configuration and commands
// (its `gost-conf` and `gost-cli` snippets, run as printed). No project code imported.
const DOC = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'emulator.md'), 'utf8');
function snippet(id: string): string {
  const found = new RegExp(`<!-- snippet: ${id} -->\\n\`\`\`\\w+\\n([\\s\\S]*?)\\n\`\`\`\\n`).exec(DOC);
  if (!found?.[1]) throw new Error(`docs/emulator.md has no snippet ${id}`);
  return found[1];
}
const dir = mkdtempSync(join(tmpdir(), 'outside-client-'));
const conf = join(dir, 'gost.cnf');
writeFileSync(conf, `${snippet('gost-conf')}\n`);
const env = { ...process.env, OPENSSL_CONF: conf };
const openssl = (args: string[], input?: string | Buffer) => execFileSync('openssl', args, { input: input ?? '', env });
// The doc's commands, in its order: certificate hash, v2/v3 client_secret, v1 client_secret.
const [hashCommand, signCommand, cmsCommand] = snippet('gost-cli').split('\n').filter((line) => line && !line.startsWith('#'));
const shell = (command: string | undefined, STRING = '') => execFileSync('bash', ['-o', 'pipefail', '-c', command ?? 'false'], { cwd: dir, env: { ...env, STRING } }).toString();
writeFileSync(join(dir, 'key.pem'), openssl(['genpkey', '-algorithm', 'gost2012_256', '-pkeyopt', 'paramset:A']));
const certFile = join(dir, 'cert.pem');
writeFileSync(certFile, openssl(['req', '-new', '-x509', '-key', join(dir, 'key.pem'), '-days', '30', '-md_gost12_256', '-subj', '/CN=outside system']));
const certHash = shell(hashCommand).trim();
const sign = (text: string) => shell(signCommand, text);
const signCms = (text: string) => shell(cmsCommand, text);

const CLIENT = 'OUTSIDE_IS';
const REDIRECT = 'https://outside.example/esia/cb';
const SCOPE = 'openid fullname email';

async function startEmulatorProcess(extra: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, [join(import.meta.dirname, '..', '..', '..', 'bin', 'esia-emulator.js')], {
    env: { ...process.env, EMULATOR_PORT: '0', DATA_DIR: dir, EMULATOR_CLIENT_ID: CLIENT, EMULATOR_REDIRECT_URIS: REDIRECT, EMULATOR_CLIENT_CERT_FILE: certFile, EMULATOR_SCOPES: SCOPE, ...extra },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.teardown(() => void child.kill());
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (url) resolve(url);
    });
    child.on('exit', (code) => reject(new Error(`emulator exited ${code}: ${out}`)));
  });
}

const timestamp = (at = new Date()) => `${at.toISOString().slice(0, 19).replace(/-/g, '.').replace('T', ' ')} +0000`;
const fieldsOf = (html: string, marker: string) => {
  const form = html.split('<form').find((part) => part.includes(marker)) ?? '';
  return Object.fromEntries([...form.matchAll(/name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
};

function authorizeUrl(base: string, options: { secret?: string; hash?: string | null; ts?: string } = {}) {
  const state = randomUUID();
  const ts = options.ts ?? timestamp();
  const params = new URLSearchParams({ client_id: CLIENT, scope: SCOPE, response_type: 'code', state, timestamp: ts, access_type: 'online', redirect_uri: REDIRECT, client_secret: options.secret ?? sign(CLIENT + SCOPE + ts + state + REDIRECT) });
  if (options.hash !== null) params.set('client_certificate_hash', options.hash ?? certHash);
  return { url: `${base}/aas/oauth2/v2/ac?${params}`, state };
}

const base = await startEmulatorProcess({});

/** The user's side as the doc describes it: login form for a persona, consent form, back to redirect_uri. */
async function userGrants(url: string): Promise<URL> {
  const toLogin = await fetch(url, { redirect: 'manual' });
  const loginUrl = new URL(toLogin.headers.get('location')!, base);
  if (loginUrl.pathname !== '/login') throw new Error(`expected the login page, got ${loginUrl.href}`);
  const loginPage = await (await fetch(loginUrl)).text();
  const login = await fetch(`${base}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fieldsOf(loginPage, 'value="1000000102"')) });
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const consentPage = await (await fetch(new URL(login.headers.get('location')!, base), { headers: { cookie } })).text();
  const consent = await fetch(`${base}/consent`, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fieldsOf(consentPage, 'value="grant"')) });
  return new URL(consent.headers.get('location')!);
}

function exchange(code: string) {
  const tokenState = randomUUID();
  const ts = timestamp(new Date(Date.now() + clockOffsetMs));
  return {
    tokenState,
    response: fetch(`${base}/aas/oauth2/v3/te`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: CLIENT, code, grant_type: 'authorization_code', redirect_uri: REDIRECT, scope: SCOPE, state: tokenState, timestamp: ts, token_type: 'Bearer', client_certificate_hash: certHash, client_secret: sign(CLIENT + SCOPE + ts + tokenState + REDIRECT + code) }),
    }),
  };
}
let clockOffsetMs = 0;

t.test('the documented happy path: /v2/ac, login and consent forms, /v3/te, id_token verified with the published certificate, /rs/prns', async (t) => {
  const { url, state } = authorizeUrl(base);
  const back = await userGrants(url);
  t.equal(`${back.origin}${back.pathname}`, REDIRECT);
  t.equal(back.searchParams.get('state'), state);
  const code = back.searchParams.get('code')!;

  const { tokenState, response } = exchange(code);
  const token = await response;
  t.equal(token.status, 200);
  const tokens = (await token.json()) as { access_token: string; id_token: string; state: string; token_type: string; expires_in: number };
  t.match(tokens, { state: tokenState, token_type: 'Bearer', expires_in: 3600 });

  const certs = (await (await fetch(`${base}/public/esia-token-certs.pem`)).text()).match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!;
  const [header, payload, signature] = tokens.id_token.split('.') as [string, string, string];
  const rsa = certs.map((pem) => new X509Certificate(pem)).find((cert) => { try { return cert.publicKey.asymmetricKeyType === 'rsa'; } catch { return false; } })!;
  t.ok(createVerify('RSA-SHA256').update(`${header}.${payload}`).verify(rsa.publicKey, Buffer.from(signature, 'base64url')), 'RS256 id_token verifies with the published certificate');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  t.match(claims, { aud: CLIENT, iss: `http://${new URL(base).host}/`, sub: 1000000102, 'urn:esia:sbj': { 'urn:esia:sbj:oid': 1000000102, 'urn:esia:sbj:is_tru': true } });

  const person = await fetch(`${base}/rs/prns/1000000102`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  t.equal(person.status, 200);
  t.match(await person.json(), { trusted: true, firstName: String });
});

t.test('each documented refusal, with its ESIA code, and the violations log read by request id', async (t) => {
  const refusal = async (url: string) => {
    const response = await fetch(url, { redirect: 'manual' });
    return { id: response.headers.get('x-emulator-request-id')!, description: new URL(response.headers.get('location')!).searchParams.get('error_description') };
  };
  const badSignature = await refusal(authorizeUrl(base, { secret: sign('another string') }).url);
  t.match(badSignature.description, /^ESIA-007053/);
  t.match(await refusal(authorizeUrl(base, { hash: null }).url), { description: /^ESIA-007014: .*client_certificate_hash/ });
  t.match(await refusal(authorizeUrl(base, { ts: timestamp(new Date(Date.now() - 3_600_000)) }).url), { description: /^ESIA-007015/ });
  const log = (await (await fetch(`${base}/__emulator/violations?request=${badSignature.id}`)).json()) as { strictness: string; violations: Array<Record<string, unknown>> };
  t.equal(log.strictness, 'strict');
  t.match(log.violations, [{ requestId: badSignature.id, code: '007053', path: '/aas/oauth2/v2/ac', enforced: true }]);
  t.equal(log.violations.length, 1, 'only that request');
});

t.test('unknown client, unregistered redirect_uri, reused code, expired code (the faults API skews the clock)', async (t) => {
  const page = async (url: string) => (await fetch(url.replace(/([?&]client_id=)[^&]+/, '$1NOBODY'))).text();
  t.match(await page(authorizeUrl(base).url), /ESIA-007005/, 'unknown client: an error page');
  t.match(await (await fetch(authorizeUrl(base).url.replace(encodeURIComponent(REDIRECT), encodeURIComponent('https://evil.example/cb')))).text(), /ESIA-007023/, 'unregistered redirect_uri: an error page, no redirect');
  const code = (await userGrants(authorizeUrl(base).url)).searchParams.get('code')!;
  t.equal((await exchange(code).response).status, 200);
  const reused = await exchange(code).response;
  t.match(await reused.json(), { error: 'invalid_grant', error_description: /^ESIA-007011/ }, 'a code works once');
  const late = (await userGrants(authorizeUrl(base).url)).searchParams.get('code')!;
  const form = await fetch(`${base}/__emulator/faults`, { method: 'POST', body: new URLSearchParams({ clockOffsetMs: '180000' }) });
  t.equal(form.status, 400, 'a form body is refused, not silently ignored');
  t.match(await form.json(), { error: /JSON object/ });
  clockOffsetMs = 3 * 60_000; // past the 2-minute code lifetime, inside the 5-minute timestamp window
  t.teardown(async () => {
    clockOffsetMs = 0;
    await fetch(`${base}/__emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ clockOffsetMs: 0 }) });
  });
  await fetch(`${base}/__emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ clockOffsetMs }) });
  t.match(await (await exchange(late).response).json(), { error_description: /^ESIA-007011/ }, 'an expired code');
});

t.test('lenient: a bad signature is logged as tolerated and the login goes on', async (t) => {
  const lenient = await startEmulatorProcess({ EMULATOR_STRICTNESS: 'lenient' });
  const response = await fetch(authorizeUrl(lenient, { secret: sign('another string') }).url, { redirect: 'manual' });
  t.equal(new URL(response.headers.get('location')!, lenient).pathname, '/login', 'on to the login page');
  const log = (await (await fetch(`${lenient}/__emulator/violations?request=${response.headers.get('x-emulator-request-id')}`)).json()) as { strictness: string; violations: unknown[] };
  t.match(log, { strictness: 'lenient', violations: [{ code: '007053', enforced: false }] });
});

t.test('the doc\'s commands print what the emulator wants: one line each, an uppercase 64-hex hash', async (t) => {
  t.match(certHash, /^[0-9A-F]{64}$/);
  t.match(sign('x'), /^[A-Za-z0-9_-]+=*$/, 'client_secret on one line, base64url');
  t.match(signCms('x'), /^[A-Za-z0-9_-]+=*$/, 'v1 client_secret on one line, base64url');
});

t.test('legacy v1 as documented: /ac with a detached CMS of scope + timestamp + client_id + state, then /te', async (t) => {
  const state = randomUUID();
  const ts = timestamp();
  const params = new URLSearchParams({ client_id: CLIENT, scope: SCOPE, response_type: 'code', state, timestamp: ts, access_type: 'online', redirect_uri: REDIRECT, client_secret: signCms(SCOPE + ts + CLIENT + state) });
  const back = await userGrants(`${base}/aas/oauth2/ac?${params}`);
  t.equal(back.searchParams.get('state'), state);
  const tokenState = randomUUID();
  const tokenTs = timestamp();
  const token = await fetch(`${base}/aas/oauth2/te`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: CLIENT, code: back.searchParams.get('code')!, grant_type: 'authorization_code', redirect_uri: REDIRECT, scope: SCOPE, state: tokenState, timestamp: tokenTs, token_type: 'Bearer', client_secret: signCms(SCOPE + tokenTs + CLIENT + tokenState) }),
  });
  t.equal(token.status, 200);
  t.match(await token.json(), { state: tokenState, token_type: 'Bearer', id_token: String, access_token: String });
});
