import t from 'tap';
import {
  decodeSignature,
  encodeSignature,
  esiaTimestamp,
  issuerFor,
  parseEsiaTimestamp,
  v1SignedString,
  v2AuthorizeString,
  v3RefreshString,
  v3TokenString,
} from '../../../src/esia/protocol.js';

// Fixed inputs (docs/esia-protocol.md §4.1): raw values, concatenated with no separators.
const parts = {
  clientId: 'EDIARY',
  scope: 'openid fullname snils',
  timestamp: '2025.09.02 13:00:29 +0300',
  state: '7497a6ec-6085-4722-9b35-367ab2139b6a',
  redirectUri: 'https://broker.example.ru/esia/callback?x=1&y=2',
};

t.test('v1: scope + timestamp + client_id + state', async (t) => {
  t.equal(v1SignedString(parts), 'openid fullname snils2025.09.02 13:00:29 +0300EDIARY7497a6ec-6085-4722-9b35-367ab2139b6a');
});

t.test('v2 /v2/ac: client_id + scope + scope_org + timestamp + state + redirect_uri', async (t) => {
  t.equal(
    v2AuthorizeString(parts),
    'EDIARYopenid fullname snils2025.09.02 13:00:29 +03007497a6ec-6085-4722-9b35-367ab2139b6ahttps://broker.example.ru/esia/callback?x=1&y=2',
    'raw redirect_uri, not URL-encoded',
  );
  t.equal(
    v2AuthorizeString({ ...parts, scopeOrg: 'org_emps' }),
    'EDIARYopenid fullname snilsorg_emps2025.09.02 13:00:29 +03007497a6ec-6085-4722-9b35-367ab2139b6ahttps://broker.example.ru/esia/callback?x=1&y=2',
    'scope_org joined to scope with no space',
  );
});

t.test('v3 /v3/te: the v2 string + code', async (t) => {
  t.equal(
    v3TokenString({ ...parts, code: 'eyJ2ZXIiOjF9.code' }),
    'EDIARYopenid fullname snils2025.09.02 13:00:29 +03007497a6ec-6085-4722-9b35-367ab2139b6ahttps://broker.example.ru/esia/callback?x=1&y=2eyJ2ZXIiOjF9.code',
  );
});

t.test('v3 refresh: both variants the sources describe', async (t) => {
  const p = { ...parts, refreshToken: 'bb809750-rt' };
  t.equal(v3RefreshString('ilimurzin', p), v2AuthorizeString(p));
  t.equal(v3RefreshString('aisgorod', p), 'EDIARYopenid fullname snils2025.09.02 13:00:29 +03007497a6ec-6085-4722-9b35-367ab2139b6abb809750-rt');
});

t.test('timestamp: yyyy.MM.dd HH:mm:ss +0000 in UTC, zero-padded', async (t) => {
  t.equal(esiaTimestamp(new Date(Date.UTC(2026, 0, 5, 3, 4, 9))), '2026.01.05 03:04:09 +0000');
  t.equal(esiaTimestamp(new Date(Date.UTC(2025, 11, 31, 23, 59, 59))), '2025.12.31 23:59:59 +0000');
  t.match(esiaTimestamp(new Date()), /^\d{4}\.\d{2}\.\d{2} \d{2}:\d{2}:\d{2} \+0000$/);
});

t.test('timestamp parsing: any offset, malformed refused', async (t) => {
  t.equal(parseEsiaTimestamp('2013.01.25 14:36:11 +0400'), Date.UTC(2013, 0, 25, 10, 36, 11), 'the MR example');
  t.equal(parseEsiaTimestamp('2013.01.25 04:36:11 -0600'), Date.UTC(2013, 0, 25, 10, 36, 11));
  const now = new Date(Date.UTC(2026, 1, 3, 8, 0, 0));
  t.equal(parseEsiaTimestamp(esiaTimestamp(now)), now.getTime(), 'round trip');
  for (const bad of ['2013-01-25 14:36:11 +0400', '2013.01.25 14:36:11 +04:00', '2013.02.31 10:00:00 +0000', '2013.01.25 24:00:00 +0000', '', '2013.01.25 14:36:11']) {
    t.equal(parseEsiaTimestamp(bad), undefined, `refused: ${JSON.stringify(bad)}`);
  }
});

t.test('signature encodings: base64url without padding by default; all three decode', async (t) => {
  const sig = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 37 + 251) % 256));
  const plain = encodeSignature(sig);
  t.equal(plain.length, 86, '64 bytes → 86 characters unpadded');
  t.notMatch(plain, /[+/=]/);
  t.equal(encodeSignature(sig, 'base64url-padded').length, 88);
  t.match(encodeSignature(sig, 'base64'), /[+/]/, 'standard alphabet');
  for (const encoding of ['base64url', 'base64url-padded', 'base64'] as const) {
    t.same(decodeSignature(encodeSignature(sig, encoding)), sig, `${encoding} decodes`);
  }
  t.equal(decodeSignature('not base64!'), undefined);
});

t.test('issuer: http, host, trailing slash', async (t) => {
  t.equal(issuerFor('https://esia.gosuslugi.ru'), 'http://esia.gosuslugi.ru/');
  t.equal(issuerFor('https://esia-portal1.test.gosuslugi.ru/'), 'http://esia-portal1.test.gosuslugi.ru/');
  t.equal(issuerFor('http://127.0.0.1:3100'), 'http://127.0.0.1:3100/');
});
