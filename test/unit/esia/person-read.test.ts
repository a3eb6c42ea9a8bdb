import t from 'tap';
import { createEsiaClient } from '../../../src/esia/client.js';
import type { EsiaCall, EsiaHttp } from '../../../src/esia/http.js';
import type { IdTokenVerifier } from '../../../src/esia/id-token.js';
import type { EsiaSigner } from '../../../src/esia/signer.js';

// How the person is read: one request with the collections inline, and each collection that
// ESIA did not inline read on its own. The answers are ESIA's shapes (docs/esia-protocol.md).
const ESIA = 'https://esia.test';
const signer: EsiaSigner = { kind: 'openssl', signRaw: async () => Buffer.alloc(64), signCms: async () => Buffer.alloc(0), certificateHash: async () => 'A'.repeat(64) };
const idTokens: IdTokenVerifier = { verify: async () => ({ oid: '1000000101', authTime: 1, sessionId: 's', trusted: false, lvl: undefined }) } as unknown as IdTokenVerifier;
const email = { type: 'EML', vrfStu: 'VERIFIED', value: 'pupil@example.ru' };
const passport = { id: 1, type: 'RF_PASSPORT', vrfStu: 'VERIFIED' };
const person = { firstName: 'Иван', lastName: 'Петров', snils: '000-000-600 06', trusted: false };
const collection = (elements: unknown[]) => ({ stateFacts: ['hasSize'], size: elements.length, elements });

function clientAnswering(personAnswer: Record<string, unknown>, scope = 'openid fullname snils email id_doc') {
  const calls: string[] = [];
  const http: EsiaHttp = {
    async call(call: EsiaCall) {
      calls.push(`${call.operation} ${call.url.slice(ESIA.length)}`);
      if (call.operation === 'token') return { access_token: 'a', id_token: 'i', state: new URLSearchParams(call.body).get('state') };
      if (call.operation === 'person') return personAnswer;
      return collection(call.operation === 'contacts' ? [email] : [passport]);
    },
  };
  const client = createEsiaClient({
    settings: { url: ESIA, clientId: 'EDIARY', redirectUri: 'https://broker.test/esia/callback', scope, scopeOrg: '', protocol: 'v2', secretEncoding: 'base64url', timeoutMs: 1000 },
    signer,
    http,
    idTokens,
  });
  return { client, calls };
}

t.test('inline: one read, asking only for the collections the scopes cover', async (t) => {
  const { client, calls } = clientAnswering({ ...person, contacts: collection([email]), documents: collection([passport]) });
  const read = await client.completeLogin('code');
  t.same(calls, ['token /aas/oauth2/v3/te', 'person /rs/prns/1000000101?embed=(contacts.elements,documents.elements)']);
  t.match(read, { level: 'standard', emails: [{ value: 'pupil@example.ru', verified: true }] });

  const narrow = clientAnswering(person, 'openid fullname');
  await narrow.client.completeLogin('code');
  t.same(narrow.calls, ['token /aas/oauth2/v3/te', 'person /rs/prns/1000000101'], 'no collection in scope: no embed, nothing else read');
});

t.test('not inline: each missing collection, or one that came as links, is read on its own', async (t) => {
  for (const [what, answer, extra] of [
    ['both absent', person, ['contacts /rs/prns/1000000101/ctts?embed=(elements)', 'documents /rs/prns/1000000101/docs?embed=(elements)']],
    ['documents as links', { ...person, contacts: collection([email]), documents: collection([`${ESIA}/rs/prns/1000000101/docs/1`]) }, ['documents /rs/prns/1000000101/docs?embed=(elements)']],
    ['an empty inline collection is an answer', { ...person, contacts: collection([]), documents: collection([passport]) }, []],
  ] as const) {
    const { client, calls } = clientAnswering(answer);
    const read = await client.completeLogin('code');
    t.same(calls.slice(2), extra, what);
    t.equal(read.level, 'standard', `${what}: the documents were read`);
    t.same(read.emails, what.startsWith('an empty') ? [] : [{ value: 'pupil@example.ru', verified: true }], `${what}: the contacts were read`);
  }
});

t.test('a malformed inline collection is a bad answer, as a malformed separate one is', async (t) => {
  const { client, calls } = clientAnswering({ ...person, contacts: { elements: 'nope' }, documents: collection([passport]) });
  await t.rejects(client.completeLogin('code'), { name: 'EsiaError', failure: 'bad_response', detail: /contacts malformed/ });
  t.equal(calls.length, 2, 'nothing more is read');
});
