import t from 'tap';
import { createSnilsHasher, holdsSnils, isValidSnils, maskSnils, snilsChecksum, snilsDigits } from '../../../src/crypto/snils.js';
import { KNOWN_SNILS, KNOWN_SNILS_DIGITS } from '../../fixtures/personal-data.js';

t.test('the Irkutsk page «Например, 123-123-123 44»: the written forms of a SNILS', async (t) => {
  t.equal(snilsDigits(KNOWN_SNILS), KNOWN_SNILS_DIGITS);
  t.equal(snilsDigits('112 233 445 95'), KNOWN_SNILS_DIGITS);
  t.equal(snilsDigits('11223344595'), KNOWN_SNILS_DIGITS);
  t.equal(snilsDigits('112-233-445\u00a095'), KNOWN_SNILS_DIGITS);
  t.equal(snilsDigits('112-233-445 9'), undefined);
  t.equal(snilsDigits('112-233-445 9a'), undefined);
});

t.test('the checksum (weights 9..1; <100 itself; 100, 101 → 00; >101 mod 101)', async (t) => {
  t.equal(snilsChecksum('112233445'), 95);
  t.ok(isValidSnils('112-233-445 95'));
  t.notOk(isValidSnils('112-233-445 96'), 'one digit off');
  t.notOk(isValidSnils('112-233-454 95'), 'two digits swapped');
  const sum = (body: string) => [...body].reduce((acc, d, i) => acc + Number(d) * (9 - i), 0);
  const cases: Array<[string, number, number]> = [
    ['100000005', 14, 14],
    ['500000000', 45, 45],
    ['181111101', 99, 99],
    ['181111110', 100, 0],
    ['181111111', 101, 0],
    ['191111111', 109, 8],
    ['999999999', 405, 405 % 101],
  ];
  for (const [body, total, check] of cases) {
    t.equal(sum(body), total, `${body} sums to ${total}`);
    t.equal(snilsChecksum(body), check, `${body} → ${check}`);
  }
  t.ok(isValidSnils('181-111-111 00'));
});

t.test('numbers up to 001-001-998 predate checksums and are not checked', async (t) => {
  t.ok(isValidSnils('001-001-998 00'));
  t.ok(isValidSnils('000-000-001 77'));
  t.notOk(isValidSnils('001-001-999 00'), 'from 001-001-999 on the checksum applies');
});

t.test('keyed hash: stable, key-dependent, never for an invalid number, no clear digits', async (t) => {
  const a = createSnilsHasher('key-a-0123456789abcdef');
  const b = createSnilsHasher('key-b-0123456789abcdef');
  const fa = a(KNOWN_SNILS)!;
  t.same(a('11223344595'), fa, 'separators do not matter');
  t.match(fa.hash, /^[0-9a-f]{64}$/);
  t.equal(fa.last4, '4595');
  t.not(b(KNOWN_SNILS)!.hash, fa.hash, 'another key, another hash');
  t.notOk(fa.hash.includes(KNOWN_SNILS_DIGITS));
  t.equal(a('112-233-445 96'), undefined, 'a typo never hashes into someone else');
  t.throws(() => createSnilsHasher('short'));
});

t.test('maskSnils: every valid SNILS in a free text, however written, and nothing else', async (t) => {
  const cases: Array<[string, string]> = [
    ['112-233-445 95', '[snils]'],
    ['11223344595', '[snils]'],
    ['112 233 445 95', '[snils]'],
    ['112-233-445-95', '[snils]'],
    ['112-233-445\u00a095', '[snils]'],
    ['школа 112-233-445 95, Иркутск', 'школа [snils], Иркутск'],
    ['x11223344595y', 'x[snils]y'],
    ['a 112-233-445 95 b 112 233 445 95', 'a [snils] b [snils]'],
    ['112-233-445 96', '112-233-445 96'],
    ['1000299353', '1000299353'],
    ['112233445951', '112233445951'],
    ['911223344595', '911223344595'],
    ['Лицей № 2', 'Лицей № 2'],
    ['', ''],
  ];
  for (const [text, masked] of cases) {
    t.equal(maskSnils(text), masked, JSON.stringify(text));
    t.equal(holdsSnils(text), masked !== text, `${JSON.stringify(text)}: holds one`);
  }
  t.equal(maskSnils(KNOWN_SNILS, '*'), '*', 'mask is a parameter');
});
