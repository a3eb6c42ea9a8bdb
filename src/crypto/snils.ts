import { createHmac } from 'node:crypto';

/**
 * СНИЛС: 9 digits and a 2-digit checksum, shown as XXX-XXX-XXX YY. The broker never keeps one
 * in clear: only its HMAC-SHA256 under SNILS_HMAC_KEY (to match) and its last 4 digits (for
 * support). Errors never echo the number.
 */
const SEPARATORS = /[\s\u00a0-]/g;

/** The 11 digits of a SNILS written with or without separators; undefined when not 11 digits. */
export function snilsDigits(value: string): string | undefined {
  const digits = value.replace(SEPARATORS, '');
  return /^\d{11}$/.test(digits) ? digits : undefined;
}

/**
 * The control number of the Pension Fund's rule: the first 9 digits weighted 9..1, summed;
 * below 100 the sum itself, 100 and 101 give 00, above 101 the sum mod 101 (100 again → 00).
 * Numbers up to 001-001-998 were issued before checksums and are not checked.
 */
export function snilsChecksum(nineDigits: string): number {
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(nineDigits[i]) * (9 - i);
  if (sum < 100) return sum;
  const rest = sum % 101;
  return rest === 100 ? 0 : rest;
}

export function isValidSnils(value: string): boolean {
  const digits = snilsDigits(value);
  if (!digits) return false;
  const body = digits.slice(0, 9);
  if (Number(body) <= 1_001_998) return true;
  return snilsChecksum(body) === Number(digits.slice(9));
}

/** A SNILS written any way inside a text: 11 digits, the groups split by dashes or spaces or not, not part of a longer number. */
const SNILS_IN_TEXT = /(?<!\d)\d{3}[-\s]?\d{3}[-\s]?\d{3}[-\s]?\d{2}(?!\d)/g;

/**
 * The text with every valid SNILS in it (control number right, or issued before checksums)
 * replaced by `mask`. For stores that keep free text someone typed (an admin's report filter,
 * a caller's request id): a SNILS pasted into the wrong field must not be kept in clear.
 */
export function maskSnils(text: string, mask = '[snils]'): string {
  return text.replace(SNILS_IN_TEXT, (found) => (isValidSnils(found) ? mask : found));
}

/** Whether maskSnils would mask anything in the text: a valid SNILS is written in it somewhere. */
export function holdsSnils(text: string): boolean {
  for (const [found] of text.matchAll(SNILS_IN_TEXT)) if (isValidSnils(found)) return true;
  return false;
}

export interface SnilsFingerprint {
  /** HMAC-SHA256 of the 11 digits under SNILS_HMAC_KEY, hex. */
  hash: string;
  last4: string;
}

export type SnilsHasher = (snils: string) => SnilsFingerprint | undefined;

/**
 * Keyed hashing of a SNILS: undefined for anything that is not a valid SNILS, so a typo in
 * the diary or a malformed ESIA value can never match another person's hash.
 */
export function createSnilsHasher(key: string): SnilsHasher {
  if (key.length < 16) throw new Error('SNILS_HMAC_KEY must be at least 16 characters');
  return (snils) => {
    if (!isValidSnils(snils)) return undefined;
    const digits = snilsDigits(snils)!;
    return { hash: createHmac('sha256', key).update(digits).digest('hex'), last4: digits.slice(7) };
  };
}
