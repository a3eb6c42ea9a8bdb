import { createHash, randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
// @ts-expect-error oidc-provider ships no types; this dev-only peer uses a handful of its calls.
import Provider from 'oidc-provider';

// The peer for `npm run bench:compare`: node-oidc-provider 9 in its own process, configured
// like our token side (ES256 id_token, RFC 9068 JWT access tokens, refresh rotation,
// introspection) on its default in-memory adapter. It prints its URL and `count` fresh
// authorization codes as one JSON line; the load generator exchanges them at /token.
const count = Number(process.argv[2] ?? 32);
const RESOURCE = 'https://api.diary.example';
const REDIRECT = 'https://bench.diary.example/callback';

const { privateKey } = await generateKeyPair('ES256', { extractable: true });
const signing = { ...(await exportJWK(privateKey)), alg: 'ES256', use: 'sig', kid: 'bench-es256' };

const provider = new Provider('http://127.0.0.1', {
  clients: [
    {
      client_id: 'bench',
      client_secret: 'bench-secret-0123456789abcdef0123456789',
      redirect_uris: [REDIRECT],
      grant_types: ['authorization_code', 'refresh_token'],
      id_token_signed_response_alg: 'ES256',
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [signing] },
  scopes: ['openid', 'offline_access', 'profile', 'email'],
  claims: { openid: ['sub'], profile: ['name', 'family_name', 'given_name'], email: ['email'] },
  findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub, name: 'Елена Смирнова', email: 'e@example.ru' }) }),
  rotateRefreshToken: true,
  ttl: { AccessToken: 600, IdToken: 600, RefreshToken: 3600 * 24, Grant: 3600 * 24 },
  features: {
    devInteractions: { enabled: false },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({ scope: 'api', audience: RESOURCE, accessTokenFormat: 'jwt', accessTokenTTL: 600, jwt: { sign: { alg: 'ES256' } } }),
    },
  },
});
provider.on('server_error', (_ctx: unknown, error: Error) => process.stderr.write(`peer server_error: ${error.stack}\n`));

const server = provider.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const url = `http://127.0.0.1:${server.address().port}`;

const client = await provider.Client.find('bench');
const codes: { code: string; verifier: string }[] = [];
for (let i = 0; i < count; i++) {
  const accountId = `pupil-${i}`;
  const grant = new provider.Grant({ accountId, clientId: 'bench' });
  grant.addOIDCScope('openid offline_access profile email');
  grant.addResourceScope(RESOURCE, 'api');
  const grantId = await grant.save();
  const verifier = randomBytes(32).toString('base64url');
  const code = new provider.AuthorizationCode({
    client,
    accountId,
    grantId,
    scope: 'openid offline_access profile email api',
    resource: RESOURCE,
    redirectUri: REDIRECT,
    codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
    codeChallengeMethod: 'S256',
    authTime: Math.floor(Date.now() / 1000),
    nonce: `n-${i}`,
  });
  codes.push({ code: await code.save(), verifier });
}
process.stdout.write(`${JSON.stringify({ url, redirectUri: REDIRECT, clientId: 'bench', clientSecret: 'bench-secret-0123456789abcdef0123456789', codes })}\n`);
