import t from 'tap';
import fc from 'fast-check';
import { IMPORT_COLUMNS } from '../../../src/admin/import-format.js';
import { ADMIN_TOKEN, csvFile } from '../../helpers/admin.js';
import { startBroker } from '../../helpers/broker.js';
import { FUZZ_RUNS, authorization, body, fuzzSurface, nasty, params, pct, queryOf, type FuzzRequest } from '../../helpers/fuzz.js';

/**
 * Generated requests over every admin endpoint of one real broker, with the real ADMIN_TOKEN
 * (and a real /admin page session): report and audit filters, clients, profiles, links, key
 * rotation, the page and its CSV export, and POST /admin/profiles/import with generated CSV
 * and JSON files. Never an answer >= 500; a bad file is a 400, a bad row a rejected row.
 */
const broker = await startBroker();
t.teardown(() => broker.close());
const app = broker.app;
const bearer = `Bearer ${ADMIN_TOKEN}`;

// Something to find: two profiles, a link, the seeded demo client.
const seeded = await app.inject({
  method: 'POST',
  url: '/admin/profiles/import',
  headers: { authorization: bearer, 'content-type': 'text/csv' },
  payload: csvFile(['id', 'login', 'last_name', 'first_name', 'roles', 'school_ids', 'activated', 'region'], [
    ['fz-1', 'fz.one', 'Иванова', 'Мария', 'teacher', 'school-1', 'true', '38'],
    ['fz-2', 'fz.two', 'Петров', 'Пётр', 'parent', 'school-2', 'true', '77'],
  ]),
});
if (seeded.statusCode !== 200) throw new Error(`seeding failed: ${seeded.body}`);
await app.inject({ method: 'POST', url: '/admin/links', headers: { authorization: bearer, 'content-type': 'application/json' }, payload: JSON.stringify({ esia_oid: '1000000001', profile_id: 'fz-1' }) });

/** A real /admin page session: the form's xsrf cookie, then the token. */
async function pageSession(): Promise<string> {
  const form = await app.inject({ method: 'GET', url: '/admin' });
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(form.body)?.[1];
  const formCookie = form.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  const login = await app.inject({ method: 'POST', url: '/admin/login', headers: { cookie: formCookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: `xsrf=${pct(xsrf ?? '')}&token=${pct(ADMIN_TOKEN)}` });
  const session = login.cookies.find((c) => c.name !== 'eb_admin_form' && c.value);
  if (!session) throw new Error(`no admin page session: ${login.statusCode}`);
  return `${session.name}=${session.value}`;
}
const session = await pageSession();

const known = ['fz-1', 'fz-2', 'demo-diary', '1000000001', 'school-1', '38', '77', 'logins', 'completeness', 'outcomes', 'csv', 'json'];
const auth = fc.oneof({ weight: 8, arbitrary: fc.constant<string | undefined>(bearer) }, { weight: 1, arbitrary: authorization() });
const REPORT = ['region', 'school', 'role', 'from', 'to', 'format', 'limit', 'after'];
const AUDIT = ['action', 'actor', 'target', 'outcome', 'from', 'to', 'limit', 'before'];
const CLIENT = ['client_id', 'client_name', 'token_endpoint_auth_method', 'client_secret', 'client_secret_hash', 'jwks', 'redirect_uris', 'post_logout_redirect_uris', 'regions', 'scope', 'resources', 'id_token_signed_response_alg', 'refresh_token_ttl_seconds', 'regenerate_secret'];

const segment = nasty(known).map(pct);
const withHeaders = (a: string | undefined, extra: Record<string, string | undefined> = {}) =>
  Object.fromEntries(Object.entries({ authorization: a, ...extra }).filter((e): e is [string, string] => e[1] !== undefined));

const get = (path: fc.Arbitrary<string>, names: string[], base: Record<string, string> = {}) =>
  fc.tuple(path, params(names, base, known), fc.boolean(), auth).map(([p, q, raw, a]): FuzzRequest => ({ method: 'GET', url: `${p}${queryOf(q, raw && q.length > 0)}`, headers: withHeaders(a) }));

/** A JSON body shaped like the resource, with odd values and wrong types (arrays where strings go and back). */
const jsonBody = (names: string[], base: Record<string, unknown>) =>
  fc
    .tuple(fc.subarray(Object.entries(base)), fc.array(fc.tuple(fc.constantFrom(...names), fc.oneof(nasty(known), fc.array(nasty(known), { maxLength: 3 }), fc.jsonValue({ maxDepth: 2 }))), { maxLength: 4 }))
    .map(([kept, changes]) => JSON.stringify({ ...Object.fromEntries(kept), ...Object.fromEntries(changes) }));

const write = (method: string, path: fc.Arbitrary<string>, json: fc.Arbitrary<string>, formNames: string[]) =>
  fc
    .tuple(path, fc.oneof({ weight: 3, arbitrary: json.map((payload) => ({ contentType: 'application/json' as string | undefined, payload: payload as string | Buffer | undefined })) }, { weight: 1, arbitrary: body(params(formNames, {}, known)) }), auth)
    .map(([p, b, a]): FuzzRequest => ({ method, url: p, headers: withHeaders(a, { 'content-type': b.contentType }), ...(b.payload !== undefined ? { payload: b.payload } : {}) }));

const clientBase = { client_id: 'fz-client', client_name: 'Дневник', redirect_uris: ['https://fz.diary.example/cb'], regions: ['38'] };

/** Directory files: a header of known (sometimes unknown or repeated) columns, rows of odd values, either delimiter, BOM or not. */
const csvImport = fc
  .tuple(
    fc.subarray([...IMPORT_COLUMNS], { minLength: 1 }),
    fc.option(fc.constantFrom('nickname', 'id', 'Фамилия', '', '\u0000', '"broken'), { nil: undefined }),
    fc.array(fc.array(nasty(known), { maxLength: 15 }), { maxLength: 6 }),
    fc.constantFrom(';', ','),
    fc.constantFrom('\r\n', '\n', '\r'),
    fc.boolean(),
  )
  .map(([columns, extra, rows, delimiter, newline, bom]) => {
    const header = extra === undefined ? columns : [...columns, extra];
    const shaped = rows.map((row) => header.map((_, i) => row[i] ?? (i === 0 ? `fz-${row.length}` : '')));
    return `${bom ? '\uFEFF' : ''}${csvFile(header, shaped, delimiter, newline)}`;
  });
const jsonImport = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: fc.dictionary(fc.constantFrom(...IMPORT_COLUMNS, 'extra'), fc.oneof(nasty(known), fc.array(nasty(known), { maxLength: 3 }), fc.jsonValue({ maxDepth: 1 })), { maxKeys: 8 }) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
    ),
    { maxLength: 6 },
  )
  .chain((items) => fc.constantFrom(JSON.stringify(items), JSON.stringify({ profiles: items }), JSON.stringify(items).slice(0, -1)));
const importRequest = fc
  .tuple(
    fc.oneof(
      fc.tuple(csvImport, fc.constantFrom('text/csv', 'text/plain', 'text/csv; charset=utf-8', 'application/csv')).map(([text, type]) => ({ type, text })),
      jsonImport.map((text) => ({ type: 'application/json', text })),
      fc.tuple(fc.constantFrom('text/csv', 'application/json', 'application/xml', 'multipart/form-data'), fc.constantFrom('', ' ', '\uFEFF', 'id', 'id\n', '[]', '{}', 'null', '\u0000')).map(([type, text]) => ({ type, text })),
    ),
    params(['dry_run', 'format'], { dry_run: 'true' }, ['true', 'false', '1', 'csv', 'json']),
    auth,
  )
  .map(([file, q, a]): FuzzRequest => ({ method: 'POST', url: `/admin/profiles/import${queryOf(q, false)}`, headers: withHeaders(a, { 'content-type': file.type }), payload: file.text }));

const page = (path: fc.Arbitrary<string>, names: string[], base: Record<string, string> = {}) =>
  fc.tuple(path, params(names, base, known), fc.constantFrom(session, session, session, `${session}x`, 'eb_admin=x', undefined)).map(([p, q, c]): FuzzRequest => ({ method: 'GET', url: `${p}${queryOf(q, false)}`, headers: withHeaders(undefined, { cookie: c, accept: 'text/html' }) }));
const pagePost = (path: string, names: string[]) =>
  fc.tuple(body(params(names, { xsrf: 'x' }, known)), fc.constantFrom(session, `${session}x`, undefined), fc.constantFrom(undefined, broker.url, 'https://evil.example', 'null')).map(([b, c, origin]): FuzzRequest => ({
    method: 'POST',
    url: path,
    headers: withHeaders(undefined, { cookie: c, origin, 'content-type': b.contentType }),
    ...(b.payload !== undefined ? { payload: b.payload } : {}),
  }));

const request = fc.oneof(
  { weight: 6, arbitrary: get(fc.constantFrom('logins', 'completeness', 'outcomes').chain((n) => fc.oneof(fc.constant(n), segment)).map((n) => `/admin/reports/${n}`), REPORT, { region: '38', from: '2026-01-01', to: '2026-12-31' }) },
  { weight: 5, arbitrary: get(fc.constant('/admin/audit'), AUDIT, { limit: '10', from: '2026-01-01' }) },
  { weight: 2, arbitrary: get(fc.constant('/admin/clients'), ['x']) },
  { weight: 3, arbitrary: get(segment.map((id) => `/admin/clients/${id}`), ['x']) },
  { weight: 3, arbitrary: write('POST', fc.constant('/admin/clients'), jsonBody(CLIENT, clientBase), CLIENT) },
  { weight: 3, arbitrary: write('PATCH', segment.map((id) => `/admin/clients/${id}`), jsonBody(CLIENT, { client_name: 'Дневник' }), CLIENT) },
  { weight: 1, arbitrary: fc.tuple(segment, auth).map(([id, a]): FuzzRequest => ({ method: 'DELETE', url: `/admin/clients/${id}`, headers: withHeaders(a) })) },
  { weight: 3, arbitrary: get(segment.map((id) => `/admin/profiles/${id}`), ['x']) },
  { weight: 1, arbitrary: fc.tuple(segment, auth).map(([id, a]): FuzzRequest => ({ method: 'DELETE', url: `/admin/profiles/${id}`, headers: withHeaders(a) })) },
  { weight: 3, arbitrary: get(fc.constant('/admin/links'), ['esia_oid', 'profile_id'], { profile_id: 'fz-1' }) },
  { weight: 3, arbitrary: write('POST', fc.constant('/admin/links'), jsonBody(['esia_oid', 'profile_id', 'default'], { esia_oid: '1000000002', profile_id: 'fz-2' }), ['esia_oid', 'profile_id']) },
  { weight: 2, arbitrary: fc.tuple(segment, segment, auth).map(([oid, id, a]): FuzzRequest => ({ method: 'DELETE', url: `/admin/links/${oid}/${id}`, headers: withHeaders(a) })) },
  { weight: 6, arbitrary: importRequest },
  { weight: 2, arbitrary: get(segment.map((id) => `/admin/people/${id}`), ['x']) },
  { weight: 2, arbitrary: get(segment.map((oid) => `/admin/people/by-esia/${oid}`), ['x']) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('', 'by-esia/'), segment, auth).map(([by, id, a]): FuzzRequest => ({ method: 'DELETE', url: `/admin/people/${by}${id}`, headers: withHeaders(a) })) },
  { weight: 2, arbitrary: page(fc.constant('/admin/person'), ['profile', 'esia_oid'], { profile: 'fz-1' }) },
  { weight: 1, arbitrary: pagePost('/admin/person/erase', ['xsrf', 'by', 'value', 'confirm']) },
  { weight: 4, arbitrary: page(fc.constant('/admin'), ['report', 'region', 'school', 'role', 'from', 'to', 'after'], { report: 'logins', region: '38' }) },
  { weight: 3, arbitrary: page(fc.oneof(fc.constantFrom('logins.csv', 'completeness.csv', 'outcomes.csv'), segment).map((f) => `/admin/export/${f}`), ['region', 'school', 'role', 'from', 'to']) },
  { weight: 2, arbitrary: pagePost('/admin/login', ['xsrf', 'token']) },
  { weight: 1, arbitrary: pagePost('/admin/logout', ['xsrf']) },
  // Rare: each rotation really makes a key.
  {
    weight: 1,
    arbitrary: fc.tuple(auth, fc.constantFrom(undefined, '{}', '[]', 'x'), fc.integer({ min: 0, max: 9 })).map(([a, payload, n]): FuzzRequest =>
      n === 0 ? { method: 'POST', url: '/admin/keys/rotate', headers: withHeaders(a, payload ? { 'content-type': 'application/json' } : {}), ...(payload ? { payload } : {}) } : { method: 'GET', url: '/admin/clients', headers: withHeaders(a) },
    ),
  },
);

t.test('generated requests to every admin endpoint: never >= 500, no unhandled rejection, memory flat', async (t) => {
  await fuzzSurface(t, app, 'admin endpoints', request, Math.round(FUZZ_RUNS * 0.4));
});
