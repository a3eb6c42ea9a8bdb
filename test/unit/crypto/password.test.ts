import t from 'tap';
import { hashPassword, verifyPassword } from '../../../src/crypto/password.js';

const CHEAP = { N: 1024, r: 8, p: 1 };

t.test('scrypt hash round trip', async (t) => {
  const stored = await hashPassword('Пароль-123', CHEAP);
  t.match(stored, /^scrypt\$1024\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
  t.ok(await verifyPassword('Пароль-123', stored));
  t.notOk(await verifyPassword('пароль-123', stored), 'case matters');
  t.notOk(await verifyPassword('Пароль-1234', stored));
  t.notOk(await verifyPassword('', stored));
  t.not(await hashPassword('Пароль-123', CHEAP), stored, 'salted');
});

t.test('the default cost is scrypt N=2^15', async (t) => {
  const stored = await hashPassword('x');
  t.match(stored, /^scrypt\$32768\$8\$1\$/);
  t.ok(await verifyPassword('x', stored));
});

t.test('Unicode forms of one password verify alike', async (t) => {
  const stored = await hashPassword('йод', CHEAP);
  t.ok(await verifyPassword('и\u0306од', stored), 'й decomposed');
});

t.test('missing, malformed and tampered hashes never verify, and never throw', async (t) => {
  const stored = await hashPassword('secret', CHEAP);
  for (const bad of [null, undefined, '', 'plain', 'scrypt$1024$8$1$abc', stored.replace('$1024$', '$1000$'), stored.replace('$1024$', `$${2 ** 24}$`), `bcrypt$${stored.slice(7)}`]) {
    t.notOk(await verifyPassword('secret', bad), String(bad).slice(0, 20));
  }
});

t.test('an unknown login costs a full scrypt too', async (t) => {
  const stored = await hashPassword('secret');
  const time = async (fn: () => Promise<unknown>) => {
    const start = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  await verifyPassword('warm-up', null);
  const missing = await time(() => verifyPassword('secret', null));
  const wrong = await time(() => verifyPassword('nope', stored));
  t.ok(missing > wrong / 3, `missing ${missing.toFixed(1)} ms vs wrong ${wrong.toFixed(1)} ms`);
});
