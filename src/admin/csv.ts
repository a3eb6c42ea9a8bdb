/**
 * Every CSV export (API `?format=csv`, the /admin page's download, the CLI's `--csv`) comes from
 * here. RFC 4180 (comma, CRLF), but written for the spreadsheet that opens it in Russia:
 * - a UTF-8 byte order mark first: without it Excel reads the file as cp1251 and shows mojibake;
 * - a field holding `;` is quoted too: Russian-locale Excel splits on `;` (its list separator),
 *   so `Тест;=1+1` unquoted would become a second cell that runs as a formula;
 * - a value starting with = + - @ TAB or CR gets a leading `'` (OWASP "CSV injection"), in every
 *   cell, so a name or school id can never run as a formula. Excel honours a quote only at the
 *   start of what it takes for a cell, so splitting on `;` (or a line break) inside our quotes is
 *   still possible: a leader right after `;` or a line break inside a value gets the `'` too.
 */
export const CSV_BOM = '\uFEFF';

export function toCsv<T extends object>(columns: readonly (keyof T & string)[], rows: readonly T[]): string {
  const lines = [columns.map(csvField).join(',')];
  for (const row of rows) lines.push(columns.map((column) => csvField(row[column])).join(','));
  return `${CSV_BOM}${lines.join('\r\n')}\r\n`;
}

export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  const safe = text.replace(FORMULA_LEADER, "$1'");
  return NEEDS_QUOTES.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

const FORMULA_LEADER = /(^|[;\r\n])(?=[=+\-@\t\r])/g;
// A neutralised cell (it starts with `'`) is quoted as OWASP advises; `'` elsewhere costs only quotes.
const NEEDS_QUOTES = /[",;\r\n\t']/;
