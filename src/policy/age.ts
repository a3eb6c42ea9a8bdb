import type { AgeBand } from './roles.js';

/**
 * Calendar arithmetic for ages. Dates are calendar days (yyyy-mm-dd), never instants: a
 * birthday is a day, and the login day is the day in the region's time zone.
 */
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function parts(date: string): [number, number, number] {
  const match = ISO_DATE.exec(date);
  if (!match) throw new RangeError(`not a yyyy-mm-dd date: ${date.length} characters`);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/**
 * Full years of age on `today`. Someone born on 29 February comes of age on 28 February in
 * a common year: a period in years ends on the last day of the month when the month has no
 * such day (Civil Code of the Russian Federation, art. 192).
 */
export function ageOn(birthDate: string, today: string): number {
  const [by, bm, bd] = parts(birthDate);
  const [ty, tm, td] = parts(today);
  const birthdayThisYear = bm === 2 && bd === 29 && !isLeapYear(ty) ? 28 : bd;
  const hadBirthday = tm > bm || (tm === bm && td >= birthdayThisYear);
  return ty - by - (hadBirthday ? 0 : 1);
}

/** Adult when at or over the region's threshold ("at or over"). */
export function ageBandOf(age: number, adultAge: number): AgeBand {
  return age >= adultAge ? 'adult' : 'minor';
}

// Building an Intl.DateTimeFormat costs about a millisecond (it loads the zone's rules); a
// formatter per zone is kept, since there are a few dozen zones and every login asks.
const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** The calendar day of `instant` in `timeZone` (e.g. Asia/Irkutsk), as yyyy-mm-dd. */
export function localDate(instant: Date, timeZone: string): string {
  let format = dayFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormats.set(timeZone, format);
  }
  return format.format(instant);
}

export function isIsoDate(value: string): boolean {
  const match = ISO_DATE.exec(value);
  if (!match) return false;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const days = [31, isLeapYear(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
  return days !== undefined && d >= 1 && d <= days;
}
