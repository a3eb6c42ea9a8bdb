import t from 'tap';
import { parse } from 'csv-parse/sync';
import { csvField, toCsv } from '../../../src/admin/csv.js';

t.test('a cell Russian-locale Excel would split or run stays one inert cell', async (t) => {
  const cases: Array<[string, unknown, string]> = [
    ['semicolon then formula', 'Тест;=1+1', `"Тест;'=1+1"`],
    ['semicolon, harmless', 'Тест;1', '"Тест;1"'],
    ['line break then formula', 'a\n@x', `"a\n'@x"`],
    ['formula', '=1+1', `"'=1+1"`],
    ['plus', '+7 900', `"'+7 900"`],
    ['minus', '-2+3', `"'-2+3"`],
    ['at', '@SUM(A1)', `"'@SUM(A1)"`],
    ['tab leader', '\t=1', `"'\t=1"`],
    ['CR leader', '\r=1', `"'\r=1"`],
    ['comma', 'a,b', '"a,b"'],
    ['quote', 'say "hi"', '"say ""hi"""'],
    ['newline', 'a\nb', '"a\nb"'],
    ['plain Cyrillic', 'Андреева Мария', 'Андреева Мария'],
    ['number', 42, '42'],
    ['null', null, ''],
  ];
  for (const [name, value, expected] of cases) t.equal(csvField(value), expected, name);
});

t.test('the file starts with a UTF-8 BOM and reads back as written (csv-parse, bom: true)', async (t) => {
  const rows = [{ id: 'p-1', name: 'Тест;=1+1' }, { id: 'p-2', name: '=HYPERLINK("x")' }];
  const text = toCsv(['id', 'name'], rows);
  t.ok(text.startsWith('\uFEFFid,name\r\n'));
  t.same(parse(text, { columns: true, bom: true }), [{ id: 'p-1', name: `Тест;'=1+1` }, { id: 'p-2', name: `'=HYPERLINK("x")` }]);
});

t.test('cut where Russian-locale Excel may cut (any ; or line break), no piece starts a formula', async (t) => {
  const nasty = ['Тест;=1+1', '=1+1', 'a;+1;-2;@3', 'x\n=1', 'x\r\n+1', ';=;=', '"=1";=2', 'ok;\t=1'];
  const text = toCsv(['id', 'name'], nasty.map((name, i) => ({ id: `p-${i}`, name })));
  const pieces = text.slice(1).split(/[;\r\n]/).map((piece) => piece.replace(/^"/, ''));
  t.same(pieces.filter((piece) => /^[=+\-@]/.test(piece)), []);
});
