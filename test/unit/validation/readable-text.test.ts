import t from 'tap';
import { z } from 'zod';
import { isCalendarDay, readable, textProblem, TEXT_PROBLEMS } from '../../../src/validation/readable-text.js';

t.test('what readable text refuses, by kind', async (t) => {
  const cases: Array<[string, string, string | undefined, string | undefined, string | undefined]> = [
    // [name, value, line, multiline, name]
    ['plain Cyrillic', 'Иванов-Петров', undefined, undefined, undefined],
    ['emoji (a surrogate pair)', 'ok \u{1F600}', undefined, undefined, undefined],
    ['no-break space', 'a\u00A0b', undefined, undefined, undefined],
    ['NUL', 'a\u0000b', TEXT_PROBLEMS.control, TEXT_PROBLEMS.control, TEXT_PROBLEMS.control],
    ['ESC', 'a\u001Bb', TEXT_PROBLEMS.control, TEXT_PROBLEMS.control, TEXT_PROBLEMS.control],
    ['DEL', 'a\u007F', TEXT_PROBLEMS.control, TEXT_PROBLEMS.control, TEXT_PROBLEMS.control],
    ['C1 NEL', 'a\u0085', TEXT_PROBLEMS.control, TEXT_PROBLEMS.control, TEXT_PROBLEMS.control],
    ['TAB', 'a\tb', TEXT_PROBLEMS.control, undefined, TEXT_PROBLEMS.control],
    ['CRLF', 'a\r\nb', TEXT_PROBLEMS.control, undefined, TEXT_PROBLEMS.control],
    ['lone high surrogate', 'a\uD800', TEXT_PROBLEMS.unicode, TEXT_PROBLEMS.unicode, TEXT_PROBLEMS.unicode],
    ['lone low surrogate', '\uDC00a', TEXT_PROBLEMS.unicode, TEXT_PROBLEMS.unicode, TEXT_PROBLEMS.unicode],
    ['RLO U+202E', 'Ив\u202Eан', undefined, undefined, TEXT_PROBLEMS.bidi],
    ['LRE U+202A', '\u202Aa', undefined, undefined, TEXT_PROBLEMS.bidi],
    ['RLI U+2067', 'a\u2067', undefined, undefined, TEXT_PROBLEMS.bidi],
    ['PDI U+2069', 'a\u2069', undefined, undefined, TEXT_PROBLEMS.bidi],
    ['a SNILS', '112-233-445 95', undefined, undefined, TEXT_PROBLEMS.snils],
    ['a SNILS in a name', 'Дневник 11223344595', undefined, undefined, TEXT_PROBLEMS.snils],
    ['eleven digits, no SNILS', '112-233-445 96', undefined, undefined, undefined],
  ];
  for (const [name, value, line, multiline, person] of cases) {
    t.equal(textProblem(value), line, `${name}: line`);
    t.equal(textProblem(value, 'multiline'), multiline, `${name}: multiline`);
    t.equal(textProblem(value, 'name'), person, `${name}: name`);
  }
});

t.test('the zod refinement names the field and keeps the schema chainable', async (t) => {
  const schema = z.object({ client_id: readable(z.string().max(8)).optional(), last_name: readable(z.string(), 'name') });
  t.same(schema.safeParse({ last_name: 'Иванов' }).data, { last_name: 'Иванов' });
  const issues = schema.safeParse({ client_id: 'a\u0000', last_name: '\u202Eвонави' }).error?.issues.map((i) => [i.path.join('.'), i.message]);
  t.same(issues, [['client_id', TEXT_PROBLEMS.control], ['last_name', TEXT_PROBLEMS.bidi]]);
});

t.test('calendar days', async (t) => {
  for (const day of ['2024-02-29', '2023-12-31', '1900-01-01', '2999-12-31']) t.ok(isCalendarDay(day), day);
  for (const day of ['2024-13-45', '2023-02-29', '2024-04-31', '2024-00-10', '2024-01-00', '0000-01-01', '1899-12-31', '3000-01-01', '2024-1-1', '20240101', ' 2024-01-01', '２０２４-01-01']) t.notOk(isCalendarDay(day), day);
});
