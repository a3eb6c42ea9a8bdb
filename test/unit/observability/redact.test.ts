import t from 'tap';
import { scrub, scrubUrl } from '../../../src/observability/redact.js';
import { KNOWN_EMAIL, KNOWN_PASSWORD, KNOWN_SNILS } from '../../fixtures/personal-data.js';

t.test('sensitive keys are removed at any depth', async (t) => {
  const out = JSON.stringify(scrub({ person: { snils: KNOWN_SNILS, lastName: 'Иванова', inner: [{ password: KNOWN_PASSWORD, email: KNOWN_EMAIL }] }, oid: 1000 }));
  t.notMatch(out, KNOWN_SNILS);
  t.notMatch(out, 'Иванова');
  t.notMatch(out, KNOWN_PASSWORD);
  t.notMatch(out, KNOWN_EMAIL);
  t.match(out, '"oid":1000', 'harmless fields stay');
});

t.test('SNILS-shaped text is masked inside strings and errors', async (t) => {
  for (const form of ['112-233-445 95', '112 233 445 95', '11223344595']) {
    t.notMatch(JSON.stringify(scrub({ msg: `user ${form} failed` })), form, form);
  }
  t.notMatch(JSON.stringify(scrub({ err: new Error(`bad snils ${KNOWN_SNILS}`) })), KNOWN_SNILS);
});

t.test('URLs keep only harmless query values', async (t) => {
  t.equal(scrubUrl('/esia/callback?code=abc&state=xyz'), '/esia/callback?code=[redacted]&state=[redacted]');
  t.equal(scrubUrl('/authorize?client_id=diary&login_hint=x'), '/authorize?client_id=diary&login_hint=[redacted]');
  t.equal(scrubUrl('/healthz'), '/healthz');
});

t.test('a SNILS anywhere in a URL is masked: path, parameter name, a harmless parameter, encoded or not', async (t) => {
  const cases: Array<[string, string]> = [
    [`/regions/${encodeURIComponent(KNOWN_SNILS)}`, '/regions/[redacted]'],
    [`/regions/${KNOWN_SNILS}`, '/regions/[redacted]'],
    [`/account/links/unlink?${KNOWN_SNILS}=1&xsrf=x`, '/account/links/unlink?[redacted]=[redacted]&xsrf=[redacted]'],
    [`/authorize?${encodeURIComponent(KNOWN_SNILS)}=1`, '/authorize?[redacted]=[redacted]'],
    [`/authorize?scope=${encodeURIComponent(KNOWN_SNILS)}&client_id=diary`, '/authorize?scope=[redacted]&client_id=diary'],
    ['/authorize?scope=112-233-445+95', '/authorize?scope=[redacted]'],
    ['/authorize?region=11223344595', '/authorize?region=[redacted]'],
    ['/regions/%E0%A4%A', '/regions/%E0%A4%A'],
  ];
  for (const [url, expected] of cases) t.equal(scrubUrl(url), expected, url);
});
