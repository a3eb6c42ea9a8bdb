import t from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDir } from '../../helpers/emulator.js';

/**
 * `npx esia-emulator` (bin/esia-emulator.js) as an outside team meets it: the schema it prints,
 * and a start that stops with exit code 2 and a message naming the setting or the persona field
 * for every kind of bad input, never a stack trace.
 */
const root = join(import.meta.dirname, '..', '..', '..');
const bin = join(root, 'bin', 'esia-emulator.js');
const dir = scratchDir('emulator-entry-');

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, DATA_DIR: dir, EMULATOR_PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill(), 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
const STACK = /\n\s+at /;

t.test('--personas-schema prints the committed JSON Schema', async (t) => {
  const { code, stdout } = await run(['--personas-schema'], {});
  t.equal(code, 0);
  t.same(JSON.parse(stdout), JSON.parse(readFileSync(join(root, 'config', 'esia-personas.schema.json'), 'utf8')));
});

t.test('a bad personas file: exit 2, every problem with its place', async (t) => {
  const file = join(dir, 'personas.json');
  writeFileSync(file, JSON.stringify({ personas: [{ oid: '1', label: 'a', trusted: true, lastName: 'A', firstName: 'B', snils: '123' }] }));
  const { code, stderr } = await run([], { EMULATOR_PERSONAS_FILE: file });
  t.equal(code, 2);
  t.match(stderr, /personas\[0\]\.snils: must be XXX-XXX-XXX YY/);
  t.notMatch(stderr, STACK);
});

t.test('bad settings: exit 2 naming each variable, before anything is generated', async (t) => {
  const { code, stderr } = await run([], { EMULATOR_STRICTNESS: 'sloppy', EMULATOR_PORT: 'eighty', EMULATOR_TOKEN_ALG: 'HS256' });
  t.equal(code, 2);
  t.match(stderr, /bad settings/);
  for (const name of ['EMULATOR_STRICTNESS', 'EMULATOR_PORT', 'EMULATOR_TOKEN_ALG']) t.match(stderr, new RegExp(`^  ${name}: `, 'm'), name);
  t.notMatch(stderr, STACK);
});

t.test('a missing or non-PEM client certificate: exit 2 naming EMULATOR_CLIENT_CERT_FILE', async (t) => {
  const missing = await run([], { EMULATOR_CLIENT_CERT_FILE: join(dir, 'no-such-cert.pem') });
  t.equal(missing.code, 2);
  t.match(missing.stderr, /EMULATOR_CLIENT_CERT_FILE: cannot read .*no-such-cert\.pem \(ENOENT\)/);
  t.notMatch(missing.stderr, STACK);
  const der = join(dir, 'cert.der');
  writeFileSync(der, Buffer.from([0x30, 0x82, 0x01, 0x00]));
  const notPem = await run([], { EMULATOR_CLIENT_CERT_FILE: der });
  t.equal(notPem.code, 2);
  t.match(notPem.stderr, /EMULATOR_CLIENT_CERT_FILE: .*holds no PEM certificate/);
});

t.test('every setting the emulator reads is in the settings table of docs/emulator.md, and nothing else is', async (t) => {
  const source = readFileSync(join(root, 'src', 'emulator', 'main.ts'), 'utf8');
  const read = [...source.matchAll(/^\s+([A-Z][A-Z0-9_]+): z\./gm)].map((m) => m[1]!).sort();
  const doc = readFileSync(join(root, 'docs', 'emulator.md'), 'utf8');
  const table = doc.split('| Setting | Default | Meaning |')[1]?.split('\n\n')[0] ?? '';
  const documented = [...table.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1]!).sort();
  t.ok(read.length >= 10, `${read.length} settings read`);
  t.same(documented, read);
});
