import { z } from 'zod';
import { EsiaError } from './errors.js';
import type { EsiaIdClaims } from './id-token.js';
import type { EsiaContact, EsiaLevel, EsiaPerson } from './person.js';

/**
 * ESIA's JSON (docs/esia-protocol.md §7) → EsiaPerson, and the account level (§8). Pure: tested on the
 * samples of docs/esia-protocol.md. Schemas are lenient about fields we do not use, strict about the
 * ones we do.
 */
export const rawPersonSchema = z
  .object({
    firstName: z.string().optional(),
    lastName: z.string().optional(),
    middleName: z.string().optional(),
    birthDate: z.string().optional(),
    gender: z.string().optional(),
    snils: z.string().optional(),
    trusted: z.boolean().optional(),
    verifying: z.boolean().optional(),
    rIdDoc: z.number().optional(),
  })
  .passthrough();

const element = z.object({ type: z.string(), vrfStu: z.string().optional() }).passthrough();
export const rawContactSchema = element.extend({ value: z.string().optional() });
export const rawDocumentSchema = element.extend({ id: z.number().optional() });
/** A collection with ?embed=(elements): the elements inline (without embed they are URLs). */
const collectionOf = <T extends z.ZodTypeAny>(item: T) => z.object({ elements: z.array(z.union([item, z.string()])).default([]) }).passthrough();
// Built once per element schema: constructing a zod schema costs more than parsing with it.
const collections = new WeakMap<z.ZodTypeAny, ReturnType<typeof collectionOf>>();
export const rawCollectionSchema = <T extends z.ZodTypeAny>(item: T): ReturnType<typeof collectionOf<T>> => {
  let schema = collections.get(item);
  if (!schema) {
    schema = collectionOf(item);
    collections.set(item, schema);
  }
  return schema as ReturnType<typeof collectionOf<T>>;
};

export type RawPerson = z.infer<typeof rawPersonSchema>;
export type RawContact = z.infer<typeof rawContactSchema>;
export type RawDocument = z.infer<typeof rawDocumentSchema>;

/** Identity documents whose verification (against МВД) makes an account Standard. */
const IDENTITY_DOCUMENTS = new Set(['RF_PASSPORT', 'FID_DOC']);

export function deriveLevel(input: { trusted: boolean | undefined; isTru: boolean; lvl: string | undefined; snils: string | undefined; documents: RawDocument[] }): EsiaLevel {
  if (input.trusted === true || input.isTru || input.lvl === 'PR') return 'confirmed';
  const verifiedIdentity = input.documents.some((doc) => IDENTITY_DOCUMENTS.has(doc.type) && doc.vrfStu === 'VERIFIED');
  return input.snils && verifiedIdentity ? 'standard' : 'simplified';
}

export function normaliseSnils(value: string | undefined): string | undefined {
  const digits = value?.replace(/\D/g, '');
  return digits && digits.length === 11 ? digits : undefined;
}

/** `DD.MM.YYYY` → `YYYY-MM-DD`; anything else (or an impossible date) → undefined. */
export function isoBirthDate(value: string | undefined): string | undefined {
  const m = value ? /^(\d{2})\.(\d{2})\.(\d{4})$/.exec(value.trim()) : null;
  if (!m) return undefined;
  const iso = `${m[3]}-${m[2]}-${m[1]}`;
  const date = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(iso) ? iso : undefined;
}

function name(value: string | undefined): string | undefined {
  const cleaned = value?.trim().replace(/\s+/g, ' ');
  return cleaned ? cleaned : undefined;
}

function contacts(raw: RawContact[], type: 'EML' | 'MBT'): EsiaContact[] {
  return raw.flatMap((c) => (c.type === type && c.value?.trim() ? [{ value: c.value.trim(), verified: c.vrfStu === 'VERIFIED' }] : []));
}

export function normalisePerson(input: { claims: EsiaIdClaims; person: RawPerson; contacts: RawContact[]; documents: RawDocument[] }): EsiaPerson {
  const { claims, person } = input;
  const snils = normaliseSnils(person.snils);
  const level = deriveLevel({ trusted: person.trusted, isTru: claims.trusted, lvl: claims.lvl, snils, documents: input.documents });
  const gender = person.gender === 'M' || person.gender === 'F' ? person.gender : undefined;
  const lastName = name(person.lastName);
  const firstName = name(person.firstName);
  if (!lastName || !firstName) throw new EsiaError('bad_response', 'person has no name (is fullname in ESIA_SCOPES?)');
  return {
    oid: claims.oid,
    lastName,
    firstName,
    middleName: name(person.middleName),
    birthDate: isoBirthDate(person.birthDate),
    gender,
    snils,
    // ESIA checks SNILS against СФР before an account becomes Standard (§6).
    snilsVerified: snils !== undefined && level !== 'simplified',
    emails: contacts(input.contacts, 'EML'),
    mobiles: contacts(input.contacts, 'MBT'),
    level,
    isChild: claims.lvl === undefined ? undefined : claims.lvl === 'KD',
    esiaSessionId: claims.sessionId,
    authTime: claims.authTime,
  };
}
