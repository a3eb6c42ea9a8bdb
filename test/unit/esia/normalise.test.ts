import t from 'tap';
import { EsiaError } from '../../../src/esia/errors.js';
import type { EsiaIdClaims } from '../../../src/esia/id-token.js';
import { deriveLevel, isoBirthDate, normalisePerson, normaliseSnils, rawContactSchema, rawDocumentSchema, rawPersonSchema } from '../../../src/esia/normalise.js';

// The samples of docs/esia-protocol.md §7 (ekapusta/oauth2-esia README, masked) and §6 (a published ESIA id_token).
const personSample = {
  stateFacts: ['EntityRoot'], firstName: 'Имя', lastName: 'Фамилия', middleName: 'Отчество',
  birthDate: '26.05.2000', birthPlace: 'Москва', gender: 'F', trusted: true, citizenship: 'RUS',
  snils: '000-000-000 00', inn: '000000000000', updatedOn: 1523386683, status: 'REGISTERED',
  verifying: false, rIdDoc: 3571, containsUpCfmCode: false, eTag: '61F2',
};
const emailSample = { id: 14216773, type: 'EML', vrfStu: 'VERIFIED', value: 'user@example.ru', verifyingValue: 'x', vrfValStu: 'VERIFYING', isCfmCodeExpired: true, eTag: 'E' };
const passportSample = { id: 3571, type: 'RF_PASSPORT', vrfStu: 'VERIFIED', series: '0000', number: '000000', issueDate: '01.01.2006', issueId: '000000', issuedBy: 'УФМС' };
const claims: EsiaIdClaims = { oid: '1000000001', authTime: 1649162126, sessionId: 'fd0b5333-sid', trusted: true, lvl: undefined };

const person = (overrides: Record<string, unknown> = {}) => rawPersonSchema.parse({ ...personSample, ...overrides });
const contacts = (...items: Array<Record<string, unknown>>) => items.map((c) => rawContactSchema.parse(c));
const documents = (...items: Array<Record<string, unknown>>) => items.map((d) => rawDocumentSchema.parse(d));

t.test('the §5 sample becomes one typed EsiaPerson', async (t) => {
  t.same(normalisePerson({ claims, person: person(), contacts: contacts(emailSample, { type: 'MBT', vrfStu: 'NOT_VERIFIED', value: '+7(000)0000006' }), documents: documents(passportSample) }), {
    oid: '1000000001',
    lastName: 'Фамилия',
    firstName: 'Имя',
    middleName: 'Отчество',
    birthDate: '2000-05-26',
    gender: 'F',
    snils: '00000000000',
    snilsVerified: true,
    emails: [{ value: 'user@example.ru', verified: true }],
    mobiles: [{ value: '+7(000)0000006', verified: false }],
    level: 'confirmed',
    isChild: undefined,
    esiaSessionId: 'fd0b5333-sid',
    authTime: 1649162126,
  });
});

t.test('account level (§6)', async (t) => {
  const base = { trusted: false, isTru: false, lvl: undefined, snils: '11223344595', documents: documents(passportSample) };
  const table: Array<[string, Parameters<typeof deriveLevel>[0], string]> = [
    ['trusted: true in /rs/prns', { ...base, trusted: true }, 'confirmed'],
    ['is_tru in the id_token', { ...base, isTru: true }, 'confirmed'],
    ['lvl PR', { ...base, lvl: 'PR' }, 'confirmed'],
    ['SNILS + verified passport', base, 'standard'],
    ['SNILS + passport still being verified', { ...base, documents: documents({ ...passportSample, vrfStu: 'VERIFYING' }) }, 'simplified'],
    ['verified passport, no SNILS', { ...base, snils: undefined }, 'simplified'],
    ['SNILS + only a birth certificate', { ...base, documents: documents({ id: 1, type: 'RF_BRTH_CERT', vrfStu: 'VERIFIED' }) }, 'simplified'],
    ['name and contacts only', { ...base, snils: undefined, documents: [] }, 'simplified'],
    ['lvl P does not upgrade', { ...base, lvl: 'P', snils: undefined }, 'simplified'],
    ['a foreign citizen document counts', { ...base, documents: documents({ id: 2, type: 'FID_DOC', vrfStu: 'VERIFIED' }) }, 'standard'],
  ];
  for (const [name, input, level] of table) t.equal(deriveLevel(input), level, name);
});

t.test('child marker only when ESIA gives lvl', async (t) => {
  const kid = normalisePerson({ claims: { ...claims, trusted: false, lvl: 'KD' }, person: person({ trusted: false }), contacts: [], documents: [] });
  t.equal(kid.isChild, true);
  t.equal(kid.level, 'simplified');
  t.equal(kid.snilsVerified, false, 'SNILS of a simplified account is not vouched for');
  t.equal(normalisePerson({ claims: { ...claims, lvl: 'P' }, person: person(), contacts: [], documents: [] }).isChild, false);
  t.equal(normalisePerson({ claims, person: person(), contacts: [], documents: [] }).isChild, undefined);
});

t.test('field normalisation', async (t) => {
  t.equal(normaliseSnils('112-233-445 95'), '11223344595');
  t.equal(normaliseSnils('11223344595'), '11223344595');
  t.equal(normaliseSnils('112-233-445'), undefined);
  t.equal(isoBirthDate('14.03.2009'), '2009-03-14');
  t.equal(isoBirthDate('31.02.2009'), undefined);
  t.equal(isoBirthDate('2009-03-14'), undefined);
  const spaced = normalisePerson({ claims, person: person({ lastName: '  Салтыков-Щедрин ', firstName: 'Михаил', middleName: '', gender: 'X' }), contacts: contacts({ type: 'EML', value: '  ', vrfStu: 'VERIFIED' }), documents: [] });
  t.equal(spaced.lastName, 'Салтыков-Щедрин');
  t.equal(spaced.middleName, undefined);
  t.equal(spaced.gender, undefined);
  t.same(spaced.emails, []);
  t.throws(() => normalisePerson({ claims, person: person({ firstName: undefined }), contacts: [], documents: [] }), EsiaError, 'no name: a bad response, not an empty name');
});
