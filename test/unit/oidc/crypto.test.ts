import t from 'tap';
import { createKeyedHash, createSealer } from '../../../src/crypto/key-encryption.js';
import { hashClientSecret, isClientSecretHash, verifyClientSecret } from '../../../src/crypto/secret-hash.js';

const KEK = 'test-key-encryption-key-0123456789';

t.test('sealed values open only with the same key and context', async (t) => {
  const sealer = createSealer(KEK, 'signing-keys');
  const sealed = sealer.seal('{"d":"private"}', 'kid-1');
  t.notMatch(sealed, /private/, 'ciphertext does not show the plaintext');
  t.match(sealed, /^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
  t.equal(sealer.open(sealed, 'kid-1'), '{"d":"private"}');
  t.not(sealer.seal('{"d":"private"}', 'kid-1'), sealed, 'a fresh IV every time');
  t.throws(() => sealer.open(sealed, 'kid-2'), 'another row (context) cannot open it');
  t.throws(() => createSealer('another-key-encryption-key-000', 'signing-keys').open(sealed, 'kid-1'), 'another key cannot open it');
  t.throws(() => createSealer(KEK, 'other-purpose').open(sealed, 'kid-1'), 'another purpose cannot open it');
  const [v, iv, body, tag] = sealed.split('.');
  const flipped = body!.slice(0, -2) + (body!.endsWith('A') ? 'BA' : 'AA');
  t.throws(() => sealer.open([v, iv, flipped, tag].join('.'), 'kid-1'), 'tampering is detected');
  t.throws(() => sealer.open('garbage', 'kid-1'));
});

t.test('keyed hash is deterministic per key and purpose', async (t) => {
  const successor = createKeyedHash(KEK, 'refresh');
  t.equal(successor('a'), successor('a'));
  t.not(successor('a'), successor('b'));
  t.not(createKeyedHash(KEK, 'other')('a'), successor('a'));
  t.match(successor('a'), /^[\w-]{43}$/);
});

t.test('client secrets are stored as sha256 and checked in constant time', async (t) => {
  const secret = 'a-high-entropy-secret-0123456789abcdef';
  const hash = hashClientSecret(secret);
  t.ok(isClientSecretHash(hash));
  t.notMatch(hash, /high-entropy/);
  t.ok(verifyClientSecret(secret, hash));
  t.notOk(verifyClientSecret(`${secret}x`, hash));
  t.notOk(verifyClientSecret('', hash));
  t.notOk(verifyClientSecret(secret, 'plain-text-not-a-hash'), 'a malformed stored value never matches');
});

t.test('client secret checks stay right when stored hashes are remembered decoded', async (t) => {
  const [a, b] = ['a-secret-of-at-least-32-characters-aaaa', 'b-secret-of-at-least-32-characters-bbbb'];
  const [hashA, hashB] = [hashClientSecret(a), hashClientSecret(b)];
  for (let i = 0; i < 3; i += 1) {
    t.ok(verifyClientSecret(a, hashA), `a against its own hash, call ${i + 1}`);
    t.ok(verifyClientSecret(b, hashB), `b against its own hash, call ${i + 1}`);
    t.notOk(verifyClientSecret(a, hashB), 'a against b\'s hash');
    t.notOk(verifyClientSecret(b, hashA), 'b against a\'s hash');
  }
  t.notOk(verifyClientSecret('sha256:', 'sha256:'), 'a hash without a digest, twice');
  t.notOk(verifyClientSecret('sha256:', 'sha256:'));
  t.ok(verifyClientSecret('пароль-не-ascii-и-достаточно-длинный-для-проверки', hashClientSecret('пароль-не-ascii-и-достаточно-длинный-для-проверки')), 'UTF-8 secrets hash as UTF-8');
});
