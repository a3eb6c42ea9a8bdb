import t from 'tap';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { PersonaInput } from '../../../src/emulator/personas.js';
import { newSnils } from '../../helpers/accounts.js';
import { startFlowEnvironment } from '../../helpers/login-flow.js';

// A relying party nobody here wrote, in another language: Python Authlib from Debian
// (python3-authlib, installed by .ci/run) logs in through the ESIA emulator and the broker,
// validates the id_token against the JWKS, refreshes, introspects and validates the access
// token (test/rp/authlib_rp.py). Debian's own python3 first: a pyenv or venv python on PATH
// does not see Debian's packages. AUTHLIB_INSECURE_TRANSPORT: the broker listens on http://127.0.0.1.
const python = ['/usr/bin/python3', 'python3'].find((candidate) => spawnSync(candidate, ['-c', 'import authlib, requests'], { stdio: 'ignore' }).status === 0);
if (!python) {
  t.plan(0, 'python3-authlib / python3-requests not installed (apt-get install -y python3-authlib python3-requests): the Authlib relying party is not run');
} else {
  const script = join(import.meta.dirname, '..', '..', 'rp', 'authlib_rp.py');
  t.ok(existsSync(script), 'the relying party script');
  const person = { oid: '1000000555', lastName: 'Питонова', firstName: 'Анна', middleName: 'Сергеевна', birthDate: '1979-09-30', snils: newSnils() };
  const persona: PersonaInput = {
    oid: person.oid,
    label: 'Родитель (Authlib)',
    trusted: true,
    lastName: person.lastName,
    firstName: person.firstName,
    middleName: person.middleName,
    birthDate: person.birthDate.split('-').reverse().join('.'),
    gender: 'F',
    snils: person.snils,
    contacts: [{ type: 'MBT', value: '+7(999)0000555', vrfStu: 'VERIFIED' }],
  };
  // A generous ESIA timeout: the emulator's GOST signing is slow on a loaded machine.
  const env = await startFlowEnvironment({ extraPersonas: [persona], env: { ESIA_TIMEOUT_MS: '20000' } });
  t.teardown(() => env.close());
  const { oid: _oid, ...fields } = person;
  const profile = await env.harness.profile({ ...fields, roles: ['parent'], schoolIds: ['school-1'], region: '38' });

  t.test('Authlib logs in with code + PKCE, validates the id_token, refreshes and checks the access token', async (t) => {
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(python, [script, env.broker.url, env.client.clientId, env.client.secret, env.client.redirectUri, person.oid], { timeout: 120_000, env: { ...process.env, AUTHLIB_INSECURE_TRANSPORT: '1' } }, (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
      child.stdin?.end();
    });
    t.equal(run.code, 0, `the script succeeded${run.stderr ? `: ${run.stderr.trim()}` : ''}`);
    const seen = JSON.parse(run.stdout || '{}') as Record<string, unknown>;
    t.match(seen, {
      sub: profile.id,
      sid: String,
      acr: /^urn:esia:/,
      userinfo: { sub: profile.id, family_name: person.lastName },
      refreshed_sub: profile.id,
      refresh_rotated: true,
      introspection: { active: true, sub: profile.id, client_id: env.client.clientId },
      access_token: { sub: profile.id, typ: 'at+jwt', scope: 'openid profile diary' },
    });
  });
}
