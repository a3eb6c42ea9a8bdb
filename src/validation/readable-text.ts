import { z } from 'zod';
import { holdsSnils } from '../crypto/snils.js';

/**
 * "Text Postgres can store and a person can read", the one check every free-text input passes
 * at the edge (route schemas, the import's rows, the report filters):
 * - no U+0000: Postgres `text` cannot hold it (error 22021), and a NUL reaching a query was a 500;
 * - no other C0/C1 control character (U+0001–U+001F, U+007F–U+009F): nobody types them, and in a
 *   name, a log line or a CSV cell they only hide or forge content; `multiline` text keeps TAB,
 *   LF and CR;
 * - no lone UTF-16 surrogate (JSON's `\ud800`): not Unicode, it would be stored as U+FFFD;
 * - in `name`s (people, clients: shown on pages and in reports) no bidi embedding, override or
 *   isolate (U+202A–U+202E, U+2066–U+2069): U+202E makes «Иванов» display reversed (Trojan Source,
 *   CVE-2021-42574), so a name could impersonate another on a chooser or in a report;
 * - in `name`s no SNILS: a number pasted into the wrong column or field would be kept and shown
 *   in clear, where a SNILS is only ever kept as its keyed hash.
 */
export type TextKind = 'line' | 'multiline' | 'name';

// \p{Cc} is exactly C0 (U+0000–U+001F), DEL and C1 (U+007F–U+009F).
const CONTROL = /\p{Cc}/u;
const CONTROL_BUT_WHITESPACE = /(?![\t\n\r])\p{Cc}/u;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/;

export const TEXT_PROBLEMS = {
  control: 'must not contain control characters',
  unicode: 'must be valid Unicode text',
  bidi: 'must not contain text-direction control characters (U+202A–U+202E, U+2066–U+2069)',
  snils: 'must not hold a SNILS (a SNILS has its own field and is kept only as a keyed hash)',
} as const;

/** What is wrong with `value` as readable text of this kind, or undefined when nothing is. */
export function textProblem(value: string, kind: TextKind = 'line'): string | undefined {
  if ((kind === 'multiline' ? CONTROL_BUT_WHITESPACE : CONTROL).test(value)) return TEXT_PROBLEMS.control;
  if (LONE_SURROGATE.test(value)) return TEXT_PROBLEMS.unicode;
  if (kind === 'name' && BIDI_CONTROL.test(value)) return TEXT_PROBLEMS.bidi;
  if (kind === 'name' && holdsSnils(value)) return TEXT_PROBLEMS.snils;
  return undefined;
}

/** The zod refinement: `readable(z.string().max(128))`; the issue names the field through its path. */
export function readable<T extends z.ZodString>(schema: T, kind: TextKind = 'line'): T {
  return schema.superRefine((value, ctx) => {
    const problem = textProblem(value, kind);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }) as T;
}

/** A real calendar day as yyyy-mm-dd (not 2024-13-45 or 2023-02-29), years 1900–2999: Postgres takes it as is. */
export function isCalendarDay(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (year < 1900 || year > 2999 || month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

export const calendarDay = z.string().refine(isCalendarDay, 'must be yyyy-mm-dd, a real calendar day');
