import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * Canned ESIA users (config/esia-personas.json), stored in ESIA's own wire shapes
 * (docs/esia-protocol.md §7) so the REST API serves them nearly as is.
 */
const vrfStu = z.enum(['VERIFIED', 'NOT_VERIFIED', 'VERIFYING']);
const esiaDate = z.string().regex(/^\d{2}\.\d{2}\.\d{4}$/, 'must be DD.MM.YYYY');

const contact = z.object({ type: z.enum(['EML', 'MBT', 'PHN', 'CEM']), value: z.string().min(1), vrfStu });
const document = z
  .object({ type: z.string().min(1), vrfStu, series: z.string().optional(), number: z.string(), issueDate: esiaDate.optional(), issueId: z.string().optional(), issuedBy: z.string().optional(), expiryDate: esiaDate.optional() })
  .strict();
const address = z.object({ type: z.enum(['PRG', 'PLV']), addressStr: z.string() }).catchall(z.string());
const organization = z.object({ oid: z.string().regex(/^\d+$/), fullName: z.string(), shortName: z.string(), ogrn: z.string(), chief: z.boolean(), admin: z.boolean() });

export const personaSchema = z
  .object({
    oid: z.string().regex(/^\d{1,15}$/, 'must be a decimal oid'),
    label: z.string().min(1),
    note: z.string().optional(),
    trusted: z.boolean(),
    verifying: z.boolean().default(false),
    /** urn:esia:sbj:lvl when ESIA would send it (KD child, PR confirmed, P otherwise). */
    lvl: z.enum(['KD', 'PR', 'P']).optional(),
    lastName: z.string().min(1),
    firstName: z.string().min(1),
    middleName: z.string().optional(),
    birthDate: esiaDate.optional(),
    birthPlace: z.string().optional(),
    gender: z.enum(['M', 'F']).optional(),
    citizenship: z.string().optional(),
    snils: z.string().regex(/^\d{3}-\d{3}-\d{3} \d{2}$/, 'must be XXX-XXX-XXX YY').optional(),
    inn: z.string().regex(/^\d{12}$/).optional(),
    contacts: z.array(contact).default([]),
    documents: z.array(document).default([]),
    addresses: z.array(address).default([]),
    organizations: z.array(organization).default([]),
    /** A parent's children: oids of other personas in the file, served at /rs/prns/{oid}/kids. */
    kids: z.array(z.string().regex(/^\d{1,15}$/, 'must be a decimal oid')).default([]),
  })
  .strict();

export type Persona = z.infer<typeof personaSchema>;
export type PersonaInput = z.input<typeof personaSchema>;

const fileSchema = z.object({ $schema: z.string().optional(), $comment: z.string().optional(), personas: z.array(personaSchema).min(1) });

/** The personas file format as JSON Schema (docs/emulator.md; `npx esia-emulator --personas-schema`). */
export function personasJsonSchema(): Record<string, unknown> {
  return { title: 'ESIA emulator personas file', ...z.toJSONSchema(fileSchema, { io: 'input' }) };
}

export class PersonasFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PersonasFileError';
  }
}

/** Every problem at once, each with its place in the file: `personas[2].snils: must be XXX-XXX-XXX YY`. */
export function parsePersonas(input: unknown, source = 'personas file'): Persona[] {
  const parsed = fileSchema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i ? '.' : ''}${String(key)}`)).join('') || '(top level)'}: ${issue.message}`);
    throw new PersonasFileError(`${source} is not a valid personas file:\n${lines.join('\n')}`);
  }
  const personas = parsed.data.personas;
  const seen = new Set<string>();
  for (const persona of personas) {
    if (seen.has(persona.oid)) throw new PersonasFileError(`${source}: duplicate persona oid ${persona.oid}`);
    seen.add(persona.oid);
  }
  for (const persona of personas) {
    const unknown = persona.kids.filter((oid) => !seen.has(oid));
    if (unknown.length > 0) throw new PersonasFileError(`${source}: persona ${persona.oid} lists kids that are not personas in the file: ${unknown.join(', ')}`);
  }
  return personas;
}

export function loadPersonas(file: string): Persona[] {
  let input: unknown;
  try {
    input = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new PersonasFileError(`${file}: cannot read it as JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  return parsePersonas(input, file);
}

/** Stable element ids: the oid's last digits and the position, so URLs survive restarts. */
export function elementId(persona: Persona, kind: 'ctts' | 'docs' | 'addrs', index: number): number {
  const base = { ctts: 1, docs: 3, addrs: 5 }[kind];
  return (Number(persona.oid) % 1_000_000) * 100 + base * 10 + index;
}

/** ESIA's rIdDoc: the current identity document (a passport) when the person has one. */
export function identityDocumentId(persona: Persona): number | undefined {
  const index = persona.documents.findIndex((doc) => IDENTITY_DOCUMENTS.has(doc.type));
  return index < 0 ? undefined : elementId(persona, 'docs', index);
}

/** Document types per scope (VantaFinance Document.type enum; docs/esia-protocol.md §7). */
export const IDENTITY_DOCUMENTS = new Set(['RF_PASSPORT', 'FID_DOC', 'USSR_PASSPORT']);
export const DOCUMENT_SCOPES: Record<string, readonly string[]> = {
  id_doc: ['RF_PASSPORT', 'FID_DOC', 'USSR_PASSPORT'],
  birth_cert_doc: ['RF_BRTH_CERT', 'FID_BRTH_CERT'],
  drivers_licence_doc: ['RF_DRIVING_LICENSE'],
  foreign_passport_doc: ['FRGN_PASS'],
  medical_doc: ['MDCL_PLCY'],
  military_doc: ['MLTR_ID'],
  residence_doc: ['RSDNC_PERMIT'],
  temporary_residence_doc: ['TMP_RSDNC_PERMIT'],
};
/**
 * kid_* scopes: a parent's consent to read a child's data, each the child's counterpart of a
 * person scope. ESIA's names and the /kids shape are not in any public client ([?]): the emulator
 * serves a plausible shape and says so in docs/emulator.md.
 */
export const KID_SCOPES: Record<string, string> = {
  kid_fullname: 'fullname',
  kid_birthdate: 'birthdate',
  kid_gender: 'gender',
  kid_snils: 'snils',
  kid_inn: 'inn',
  kid_birth_cert_doc: 'birth_cert_doc',
  kid_medical_doc: 'medical_doc',
};
export const CONTACT_SCOPES: Record<string, readonly string[]> = {
  email: ['EML'],
  mobile: ['MBT'],
  contacts: ['EML', 'MBT', 'PHN', 'CEM'],
};
