import t from 'tap';
import type { RawRequestDefaultExpression } from 'fastify';
import { createRequestIds } from '../../../src/http/request-ids.js';

const request = (id?: string) => ({ headers: id === undefined ? {} : { 'x-request-id': id } }) as RawRequestDefaultExpression;

t.test('request ids: the caller id when sane, else a per-process prefix and a counter', async (t) => {
  const one = createRequestIds();
  const other = createRequestIds();
  t.equal(one(request('edge-7.a_b')), 'edge-7.a_b');
  const a = one(request());
  const b = one(request('not sane!'));
  t.not(a, b);
  t.match(a, /^[\w-]{16}\.\w+$/, 'prefix.counter');
  t.equal(a.split('.')[0], b.split('.')[0], 'one prefix per process');
  t.not(other(request()).split('.')[0], a.split('.')[0], 'another instance, another prefix');
  t.equal(one(request('x'.repeat(65))).split('.')[0], a.split('.')[0], 'too long: replaced');
});

t.test('a caller id that holds a SNILS is not taken: it would reach every log line and audit row', async (t) => {
  const ids = createRequestIds();
  for (const given of ['11223344595', '112-233-445-95', 'lb.11223344595', 'x_112-233-445-95']) t.not(ids(request(given)), given, given);
  for (const given of ['11223344596', '1000299353', 'edge-112233445950']) t.equal(ids(request(given)), given, `${given}: no SNILS, kept`);
});
