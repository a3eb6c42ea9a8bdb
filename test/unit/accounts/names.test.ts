import t from 'tap';
import { normaliseEmail, normaliseName, sameFullName } from '../../../src/accounts/names.js';

const full = (lastName: string, firstName: string, middleName?: string | null) => ({ lastName, firstName, middleName });

t.test('rule «normalised full name (case, ё/е, spaces, hyphens)»', async (t) => {
  const same: Array<[string, string]> = [
    ['Ёлкина', 'елкина'],
    ['ЕЛКИНА', 'Ёлкина'],
    ['Салтыков-Щедрин', 'Салтыков – Щедрин'],
    ['Салтыков-Щедрин', 'Салтыков Щедрин'],
    ['Салтыков‑Щедрин', 'салтыков—щедрин'],
    ['  Анна   Мария ', 'Анна Мария'],
    ['Анна\tМария', 'анна мария'],
    ['Й', 'И\u0306'],
  ];
  for (const [a, b] of same) t.equal(normaliseName(a), normaliseName(b), `${a} ~ ${b}`);
  const different: Array<[string, string]> = [
    ['Иванова', 'Иванов'],
    ['Йод', 'Иод'],
    ['Алёна', 'Алина'],
    ['Ivanova', 'Иванова'],
  ];
  for (const [a, b] of different) t.not(normaliseName(a), normaliseName(b), `${a} ≠ ${b}`);
});

t.test('the instruction for users over 14 «Нет отчества»: a missing patronymic equals only a missing one', async (t) => {
  t.ok(sameFullName(full('Ким', 'Виктор', undefined), full('Ким', 'Виктор', null)));
  t.ok(sameFullName(full('Ким', 'Виктор', ''), full('КИМ', 'виктор', undefined)));
  t.notOk(sameFullName(full('Ким', 'Виктор', 'Сергеевич'), full('Ким', 'Виктор', null)));
  t.notOk(sameFullName(full('Ким', 'Виктор', 'Сергеевич'), full('Виктор', 'Ким', 'Сергеевич')), 'parts do not swap');
});

t.test('e-mails compare without case', async (t) => {
  t.equal(normaliseEmail(' Ivanova.Maria@Example.RU '), 'ivanova.maria@example.ru');
});
