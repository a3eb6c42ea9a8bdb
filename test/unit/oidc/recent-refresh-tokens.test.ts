import t from 'tap';
import { createRecentRefreshTokens } from '../../../src/oidc/token/recent-refresh-tokens.js';

t.test('a token is looked up once: its entry goes with the lookup', async (t) => {
  const recent = createRecentRefreshTokens();
  recent.remember('h1', 'f1');
  t.equal(recent.take('h1'), 'f1');
  t.equal(recent.take('h1'), undefined, 'a second presentation reads Postgres');
  t.equal(recent.take('never-issued'), undefined);
  t.equal(recent.size, 0);
});

t.test('beyond maxEntries the oldest go first', async (t) => {
  const recent = createRecentRefreshTokens(3);
  for (const n of [1, 2, 3, 4, 5]) recent.remember(`h${n}`, `f${n}`);
  t.equal(recent.size, 3);
  t.same(['h1', 'h2', 'h3', 'h4', 'h5'].map((h) => recent.take(h)), [undefined, undefined, 'f3', 'f4', 'f5']);
});
