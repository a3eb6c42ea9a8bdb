import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../../../src/cli/cli-io.js';
import { runDoctor, type Check } from '../../../src/cli/doctor.js';
import { runCli } from '../../../src/cli/run.js';
import { scratchDir, sharedDevKeys, startTestEmulator } from '../../helpers/emulator.js';

// `esia-broker doctor` against the ESIA emulator, as a region runs it before going live.
const ROOT = join(import.meta.dirname, '..', '..', '..');

async function environment(t: Test) {
  const keys = await sharedDevKeys();
  const emulator = await startTestEmulator();
  t.teardown(() => emulator.close());
  const env: Record<string, string | undefined> = {
    NODE_ENV: 'test', DATA_DIR: scratchDir('doctor-'), ESIA_URL: emulator.url, ESIA_CLIENT_ID: 'EDIARY_DOCTOR',
    ESIA_KEY_FILE: keys.clientKey, ESIA_CERT_FILE: keys.clientCert, ESIA_TOKEN_CERT_FILE: keys.esiaTokenCerts,
    COOKIE_SECRET: 'test-cookie-secret-0123456789abcdef', SNILS_HMAC_KEY: 'test-snils-hmac-key-0123456789abcdef', KEY_ENCRYPTION_KEY: 'test-key-encryption-key-0123456789',
  };
  return { env, emulator };
}

function capture() {
  const io = { out: '', err: '' };
  const cli: CliIo = { out: (s) => void (io.out += s), err: (s) => void (io.err += s), read: async () => '' };
  return { io, cli };
}

const byName = (checks: Check[]) => Object.fromEntries(checks.map((c) => [c.name, c.status]));

t.test('against the emulator every check passes: exit 0, one line per check', async (t) => {
  const { env, emulator } = await environment(t);
  const { io, cli } = capture();
  t.equal(await runCli(['doctor'], cli, env), 0, io.out + io.err);
  for (const name of ['configuration', 'openssl', 'certificate', 'token certificates', 'signer', 'ESIA reachable', 'clock']) t.match(io.out, new RegExp(`^ok {4}${name}: `, 'm'), name);
  t.match(io.out, `ESIA emulator environment at ${emulator.url}`);
  t.match(io.out, /client_certificate_hash [0-9A-F]{64}/);
  t.match(io.out, /^ok {4}openssl: OpenSSL \d+\.\d+\.\d+.*, GOST through the gost engine \//m);
  t.match(io.err, /all checks passed/);
});

t.test('each failure says what to fix; exit 1', async (t) => {
  const { env } = await environment(t);
  const { io, cli } = capture();
  const code = await runCli(['doctor', '--json'], cli, { ...env, ESIA_CERT_HASH: 'A'.repeat(64), ESIA_URL: 'http://127.0.0.1:9', ESIA_TIMEOUT_MS: '2000' });
  t.equal(code, 1);
  const report = JSON.parse(io.out) as { ok: boolean; checks: Check[] };
  t.equal(report.ok, false);
  const hash = report.checks.find((c) => c.detail.startsWith('ESIA_CERT_HASH'));
  t.match(hash, { status: 'fail', detail: /is not the hash of ESIA_CERT_FILE/, fix: /technology portal/ });
  t.match(report.checks.find((c) => c.name === 'ESIA reachable'), { status: 'fail', detail: /127\.0\.0\.1:9.*no answer/, fix: /outbound HTTPS/ });
  t.match(report.checks.find((c) => c.name === 'signer'), { status: 'ok' }, 'the signer itself is fine');
});

t.test('openssl without the gost engine is named once with the package to install; exit 1', async (t) => {
  const { env } = await environment(t);
  const { io, cli } = capture();
  t.equal(await runCli(['doctor', '--json'], cli, { ...env, ESIA_GOST_ENGINE: '/nonexistent/engines-3/gost.so' }), 1);
  const checks = (JSON.parse(io.out) as { checks: Check[] }).checks;
  t.match(checks.find((c) => c.name === 'openssl'), { status: 'fail', detail: /^OpenSSL .*no GOST R 34\.11-2012 through the gost engine \/nonexistent\/engines-3\/gost\.so/, fix: /libengine-gost-openssl.*ESIA_GOST_ENGINE/ });
  t.match(byName(checks), { 'ESIA reachable': 'ok' }, 'the checks that need no GOST still run');

  const missing = capture();
  t.equal(await runCli(['doctor', '--json'], missing.cli, { ...env, ESIA_OPENSSL_BIN: '/nonexistent/openssl' }), 1);
  t.match((JSON.parse(missing.io.out) as { checks: Check[] }).checks.find((c) => c.name === 'openssl'), { status: 'fail', detail: /cannot run \/nonexistent\/openssl/, fix: /apt-get install openssl/ });
});

t.test('expired certificates and a clock far off ESIA are failures', async (t) => {
  const { env } = await environment(t);
  const { io, cli } = capture();
  const inTenYears = () => Date.now() + 10 * 365 * 24 * 3600 * 1000;
  t.equal(await runDoctor(cli, env, { json: true, now: inTenYears }), 1);
  const checks = (JSON.parse(io.out) as { checks: Check[] }).checks;
  t.match(checks.find((c) => c.name === 'certificate'), { status: 'fail', detail: /the system certificate .* expired/, fix: /accredited CA/ });
  t.match(byName(checks), { 'token certificates': 'fail', clock: 'fail', signer: 'ok' });
  t.match(checks.find((c) => c.name === 'clock'), { detail: /s off ESIA's \(more than ESIA_TOKEN_LEEWAY_S=60\)/, fix: /NTP/ });
});

t.test('a refused configuration is the answer: exit 78 naming each problem', async (t) => {
  const { io, cli } = capture();
  const production = {
    NODE_ENV: 'production', DATABASE_URL: 'postgres://db/x', REDIS_URL: 'redis://r:6379', COOKIE_SECRET: 'cookie-secret-0123456789abcdef', SNILS_HMAC_KEY: 'snils-hmac-key-0123456789abcdef', KEY_ENCRYPTION_KEY: 'key-encryption-key-0123456789ab',
    ESIA_ENVIRONMENT: 'production', ESIA_CLIENT_ID: 'EDIARY', ESIA_KEY_FILE: '/k.pem', ESIA_CERT_FILE: '/c.pem', ESIA_TOKEN_CERT_FILE: '/t.pem',
  };
  t.equal(await runCli(['doctor'], cli, production), 78);
  t.match(io.out, /^FAIL {2}configuration: ESIA_SIGNER: openssl is not certified cryptography/m);
});

t.test('the launcher runs it as `npx esia-broker doctor` does', async (t) => {
  const { env } = await environment(t);
  const result = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'esia-broker.js'), 'doctor', '--json'], { env: { PATH: process.env['PATH'], ...env }, cwd: tmpdir() });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
  t.equal(result.code, 0, result.out);
  t.equal((JSON.parse(result.out) as { ok: boolean }).ok, true);
});
