/**
 * Full names compared the way a person would: «Ёлкина-Петрова  анна» is «Елкина – Петрова Анна»
 * and «Елкина Петрова Анна». Case, ё/е, runs of spaces and hyphens (of any kind, with or
 * without spaces, or a space instead) never decide a match; letters do. Unicode is composed
 * first, so «й» typed as «и» + combining breve is still «й».
 */
const DASHES = /[\u002d\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d]/g;

export function normaliseName(value: string | null | undefined): string {
  if (!value) return '';
  return value
    .normalize('NFC')
    .toLocaleLowerCase('ru-RU')
    .replace(/ё/g, 'е')
    .replace(DASHES, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export interface FullName {
  lastName: string;
  firstName: string;
  middleName: string | null | undefined;
}

/** ФИО equal part by part; a missing patronymic («Нет отчества») equals only a missing one. */
export function sameFullName(a: FullName, b: FullName): boolean {
  return (
    normaliseName(a.lastName) === normaliseName(b.lastName) &&
    normaliseName(a.firstName) === normaliseName(b.firstName) &&
    normaliseName(a.middleName) === normaliseName(b.middleName)
  );
}

/** Case-insensitive e-mail comparison key (the domain is case-insensitive, and so are diary logins in practice). */
export function normaliseEmail(value: string): string {
  return value.normalize('NFC').trim().toLowerCase();
}
