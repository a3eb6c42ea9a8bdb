import Fastify from 'fastify';

// The yardstick for discovery and JWKS: a bare Fastify JSON GET (no hooks, no plugins) in its
// own process, answering a body the size of a discovery document.
const body = {
  issuer: 'http://127.0.0.1',
  scopes_supported: ['openid', 'profile', 'email', 'diary', 'offline_access'],
  response_types_supported: ['code'],
  grant_types_supported: ['authorization_code', 'refresh_token'],
  token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
  id_token_signing_alg_values_supported: ['ES256', 'RS256'],
  claims_supported: ['sub', 'name', 'family_name', 'given_name', 'middle_name', 'birthdate', 'email', 'diary_roles', 'region'],
};
const app = Fastify({ logger: false });
app.get('/', async () => body);
const address = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ url: address })}\n`);
