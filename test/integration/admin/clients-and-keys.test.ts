import t from 'tap';
import { startBroker } from '../../helpers/broker.js';

const TOKEN = 'test-admin-token-0123456789abcdef';

t.test('admin: clients and key rotation', async (t) => {
  const broker = await startBroker();
  t.teardown(() => broker.close());
  const call = async (method: string, path: string, body?: unknown, token: string | null = TOKEN) => {
    const headers: Record<string, string> = {};
    if (token) headers['authorization'] = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${broker.url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
  };
  const newClient = {
    client_id: 'school-diary-38',
    client_name: 'Дневник Иркутской области',
    redirect_uris: ['https://38.diary.example/callback'],
    regions: ['38'],
  };

  t.test('auth is required for every client and key endpoint', async (t) => {
    for (const [method, path] of [['GET', '/admin/clients'], ['POST', '/admin/clients'], ['GET', '/admin/clients/x'], ['PATCH', '/admin/clients/x'], ['DELETE', '/admin/clients/x'], ['POST', '/admin/keys/rotate']] as const) {
      t.equal((await call(method, path, method === 'POST' || method === 'PATCH' ? {} : undefined, null)).status, 401, `${method} ${path}`);
      t.equal((await call(method, path, method === 'POST' || method === 'PATCH' ? {} : undefined, 'x'.repeat(32))).status, 401, `${method} ${path} wrong token`);
    }
  });

  t.test('create returns a generated secret once and stores only its hash', async (t) => {
    const created = await call('POST', '/admin/clients', newClient);
    t.equal(created.status, 201);
    const secret = created.body!['client_secret'] as string;
    t.ok(secret && secret.length >= 32, 'secret returned');
    t.match(created.body!['client'], { client_id: 'school-diary-38', has_secret: true, token_endpoint_auth_method: 'client_secret_basic' });
    t.notOk(JSON.stringify(created.body!['client']).includes(secret), 'the client view never holds the secret');

    const read = await call('GET', '/admin/clients/school-diary-38');
    t.equal(read.status, 200);
    t.notOk(JSON.stringify(read.body).includes(secret));
    t.notOk('client_secret_hash' in read.body!, 'no hash on the wire either');

    // The new client can really authenticate at the token endpoint with that secret.
    const token = await fetch(`${broker.url}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`school-diary-38:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=authorization_code&code=nope&redirect_uri=https%3A%2F%2F38.diary.example%2Fcallback',
    });
    t.equal(((await token.json()) as { error: string }).error, 'invalid_grant', 'client authenticated; only the code is wrong');

    const again = await call('POST', '/admin/clients', newClient);
    t.equal(again.status, 400);
    t.match(again.body, { error: 'invalid_request', error_description: /already registered/ });
  });

  t.test('validation names the bad field', async (t) => {
    const bad = await call('POST', '/admin/clients', { ...newClient, client_id: 'other', redirect_uris: ['not a url'], regions: ['Irkutsk'] });
    t.equal(bad.status, 400);
    t.match(bad.body!['error_description'], /redirect_uris\.0: must be an http\(s\) URL/);
    t.match(bad.body!['error_description'], /regions\.0: must be a two-digit region code/);
    const noBody = await call('POST', '/admin/clients');
    t.equal(noBody.status, 400);
  });

  t.test('a NUL or bidi control in client_name or the id: 400 naming it, never 500', async (t) => {
    const nul = await call('POST', '/admin/clients', { ...newClient, client_id: 'nul-name', client_name: 'Дневник\u0000' });
    t.equal(nul.status, 400);
    t.match(nul.body, { error: 'invalid_request', error_description: /client_name: must not contain control characters/ });
    const bidi = await call('POST', '/admin/clients', { ...newClient, client_id: 'bidi-name', client_name: 'Дневник \u202Eакнавон' });
    t.equal(bidi.status, 400);
    t.match(bidi.body, { error_description: /client_name: must not contain text-direction control characters/ });
    const patched = await call('PATCH', '/admin/clients/school-diary-38', { client_name: 'x\u0000' });
    t.equal(patched.status, 400);
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      const res = await call(method, '/admin/clients/a%00b', method === 'PATCH' ? {} : undefined);
      t.equal(res.status, 400, `${method} /admin/clients/a%00b`);
      t.match(res.body, { error: 'invalid_request', error_description: /^id: must be a client id/ });
    }
  });

  t.test('patch changes fields, regenerates secrets, refuses id changes', async (t) => {
    const patched = await call('PATCH', '/admin/clients/school-diary-38', { regions: ['38', '37'], post_logout_redirect_uris: ['https://38.diary.example/'] });
    t.equal(patched.status, 200);
    t.same((patched.body!['client'] as { regions: string[] }).regions, ['38', '37']);
    t.notOk('client_secret' in patched.body!, 'no secret unless regenerated');
    const rotated = await call('PATCH', '/admin/clients/school-diary-38', { regenerate_secret: true });
    t.ok(rotated.body!['client_secret'], 'new secret returned once');
    t.equal((await call('PATCH', '/admin/clients/school-diary-38', { client_id: 'renamed' })).status, 400);
    t.equal((await call('PATCH', '/admin/clients/missing', { regions: ['38'] })).status, 404);
  });

  t.test('list and delete, both audited', async (t) => {
    const list = await call('GET', '/admin/clients');
    t.ok((list.body!['clients'] as Array<{ client_id: string }>).some((c) => c.client_id === 'school-diary-38'));
    t.equal((await call('DELETE', '/admin/clients/school-diary-38')).status, 204);
    t.equal((await call('GET', '/admin/clients/school-diary-38')).status, 404);
    t.equal((await call('DELETE', '/admin/clients/school-diary-38')).status, 404);
    const audit = await call('GET', '/admin/audit?target=school-diary-38');
    t.same((audit.body!['events'] as Array<{ action: string }>).map((e) => e.action), ['client.delete', 'client.secret_rotate', 'client.update', 'client.create']);
  });

  t.test('key rotation publishes a new key', async (t) => {
    const before = ((await (await fetch(`${broker.url}/jwks`)).json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
    const rotated = await call('POST', '/admin/keys/rotate');
    t.equal(rotated.status, 200);
    const kids = rotated.body!['new_kids'] as string[];
    t.ok(kids.length >= 1);
    const after = ((await (await fetch(`${broker.url}/jwks`)).json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
    for (const kid of kids) t.ok(after.includes(kid), `new ${kid} published`);
    for (const kid of before) t.ok(after.includes(kid), `old ${kid} still published`);
  });
});
