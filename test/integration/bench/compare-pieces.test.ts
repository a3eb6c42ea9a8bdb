import t from 'tap';
import { startChild } from '../../../bench/compare/children.js';
import { get, refreshChains } from '../../../bench/compare/load.js';

// npm run bench:compare's own pieces start and measure (the broker side is the real broker,
// started like the process tests do): the node-oidc-provider peer gives codes that exchange
// for tokens, refresh chains keep rotating without a failure, and the bare yardstick answers.
// No speed is asserted.
type PeerInfo = { url: string; redirectUri: string; clientId: string; clientSecret: string; codes: { code: string; verifier: string }[] };

t.test('bench:compare peer and yardstick', async (t) => {
  const peer = await startChild<PeerInfo>('peer.ts', ['2']);
  t.teardown(() => peer.close());
  const bare = await startChild<{ url: string }>('bare.ts');
  t.teardown(() => bare.close());

  const basic = `Basic ${Buffer.from(`${peer.info.clientId}:${peer.info.clientSecret}`).toString('base64')}`;
  const refreshTokens: string[] = [];
  for (const { code, verifier } of peer.info.codes) {
    const response = await fetch(`${peer.info.url}/token`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: peer.info.redirectUri }),
    });
    t.equal(response.status, 200, 'a peer code exchanges');
    const tokens = (await response.json()) as { access_token: string; refresh_token: string; id_token: string };
    t.match(tokens.id_token.split('.')[0], /^ey/, 'with an id_token');
    t.equal(JSON.parse(Buffer.from(tokens.id_token.split('.')[0]!, 'base64url').toString()).alg, 'ES256', 'signed ES256');
    t.equal(JSON.parse(Buffer.from(tokens.access_token.split('.')[0]!, 'base64url').toString()).typ, 'at+jwt', 'and an RFC 9068 access token');
    refreshTokens.push(tokens.refresh_token);
  }
  const chains = await refreshChains(`${peer.info.url}/token`, { connections: 2, duration: 0.5 }, basic, refreshTokens);
  t.equal(chains.failed, 0, 'refresh chains rotate without a break');
  t.ok(chains.rps > 0);
  const yardstick = await get(`${bare.info.url}/`, { connections: 2, duration: 0.5 });
  t.equal(yardstick.failed, 0);
  t.ok(yardstick.rps > 0);
});
