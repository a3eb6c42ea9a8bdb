import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Who may import what (DEVELOPERS.md, "Layering"): enforced here, not by hope.
const restrict = (files, patterns) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns }] },
});
const noFastify = { group: ['fastify', '@fastify/*'], message: 'fastify belongs in src/http/ and src/app.ts only' };
const noRedis = { group: ['ioredis'], message: 'ioredis belongs in src/store/redis/ only' };
const noSql = { group: ['kysely', 'pg', '@electric-sql/*'], message: 'kysely and pg belong in src/store/postgres/ only' };
const noStoreImpl = { group: ['**/store/redis/**', '**/store/postgres/**', '**/store/memory/**'], message: 'wire store implementations in src/deps.ts only' };
const noHttp = { group: ['**/http/**', '**/app.js'], message: 'domain code must not depend on the HTTP layer' };
const noEmulator = { group: ['**/emulator/**'], message: 'the broker never imports the ESIA emulator' };

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**', '.tap/**', 'test/artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'max-lines': ['error', { max: 300, skipBlankLines: true, skipComments: true }],
    },
  },
  restrict(['src/policy/**', 'src/validation/**'], [noFastify, noRedis, noSql, noStoreImpl, noHttp, noEmulator, { group: ['node:fs', 'node:net', 'node:http', 'node:child_process'], message: 'policy/ and validation/ are pure: no I/O' }]),
  restrict(['src/oidc/**', 'src/accounts/**', 'src/esia/**', 'src/crypto/**', 'src/errors/**', 'src/config/**', 'src/admin/**'], [noFastify, noRedis, noSql, noStoreImpl, noHttp, noEmulator]),
  restrict(['src/http/**'], [noRedis, noSql, noStoreImpl, noEmulator]),
  restrict(['src/store/memory/**'], [noFastify, noRedis, noSql, noHttp]),
  restrict(['src/store/redis/**'], [noFastify, noSql, noHttp]),
  restrict(['src/store/postgres/**'], [noFastify, noRedis, noHttp]),
  restrict(['src/emulator/**'], [noRedis, noSql, noStoreImpl, { group: ['**/http/**', '**/app.js', '**/oidc/**', '**/accounts/**'], message: 'the emulator stands alone (it may share esia/ protocol helpers)' }]),
  restrict(['src/demo/diary/**'], [{ group: ['../*', '!./*'], message: 'the demo diary is a client like any other: it uses none of the broker code' }]),
  {
    files: ['test/**', 'bench/**'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', 'max-lines': 'off' },
  },
);
