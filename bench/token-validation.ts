import autocannon from 'autocannon';
import { flowLogin, startFlowEnvironment } from '../test/helpers/login-flow.js';
import { backends } from './stats.js';

// What diary backends call on every API request: JWKS (cached by them), introspection and
// userinfo. autocannon drives real HTTP with 16 connections for 5 s each.
const env = await startFlowEnvironment();
const login = flowLogin(env);
await env.harness.profile({ lastName: 'Смирнова', firstName: 'Елена', middleName: 'Викторовна', birthDate: '1984-05-12', snils: '145-278-903 84', roles: ['parent'], region: '38' });
const tokens = await (await login('1000000101')).tokens();
const basic = `Basic ${Buffer.from(`${env.client.clientId}:${env.client.secret}`).toString('base64')}`;

async function run(title: string, path: string, options: Partial<autocannon.Options> = {}) {
  const result = await autocannon({ url: `${env.broker.url}${path}`, connections: 16, duration: 5, ...options });
  const non2xx = result.non2xx + result.errors;
  console.log(`${title}: ${Math.round(result.requests.average)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms${non2xx ? `, ${non2xx} failed` : ''}`);
}

console.log(`backends: ${backends()}`);
await run('GET /jwks', '/jwks');
await run('GET /.well-known/openid-configuration', '/.well-known/openid-configuration');
await run('POST /introspect', '/introspect', {
  method: 'POST',
  headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
  body: `token=${tokens.access_token}`,
});
await run('GET /userinfo', '/userinfo', { headers: { authorization: `Bearer ${tokens.access_token}` } });
await env.close();
