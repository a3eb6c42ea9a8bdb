import t from 'tap';
import { createCircuitBreaker } from '../../../src/esia/circuit-breaker.js';
import { createEsiaHttp, type EsiaCall } from '../../../src/esia/http.js';
import { failureOf } from '../../helpers/esia-failure.js';

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const refused = () => Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
const get = (deadline = Date.now() + 1000): EsiaCall => ({ operation: 'person', method: 'GET', url: 'http://esia.test/rs/prns/1', deadline });
const post = (deadline = Date.now() + 1000): EsiaCall => ({ operation: 'token', method: 'POST', url: 'http://esia.test/aas/oauth2/v3/te', body: 'a=b', deadline });

function scripted(...answers: Array<() => Promise<Response>>) {
  const calls: string[] = [];
  const fetch = (async (url: string) => {
    calls.push(url);
    const next = answers.shift();
    if (!next) throw new Error('no more answers');
    return next();
  }) as unknown as typeof globalThis.fetch;
  return { fetch, calls };
}

t.test('a network error on a GET is tried once more; on a POST it is not', async (t) => {
  const flaky = scripted(() => Promise.reject(refused()), async () => json(200, { ok: true }));
  const http = createEsiaHttp({ fetch: flaky.fetch, breaker: createCircuitBreaker({ threshold: 5, cooldownMs: 1000 }) });
  t.same(await http.call(get()), { ok: true });
  t.equal(flaky.calls.length, 2);

  const once = scripted(() => Promise.reject(refused()), async () => json(200, { ok: true }));
  const http2 = createEsiaHttp({ fetch: once.fetch, breaker: createCircuitBreaker({ threshold: 5, cooldownMs: 1000 }) });
  t.equal((await failureOf(http2.call(post()))).failure, 'unavailable');
  t.equal(once.calls.length, 1, 'the token exchange is never repeated');

  const twice = scripted(() => Promise.reject(refused()), () => Promise.reject(refused()));
  const http3 = createEsiaHttp({ fetch: twice.fetch, breaker: createCircuitBreaker({ threshold: 5, cooldownMs: 1000 }) });
  t.match(await failureOf(http3.call(get())), { failure: 'unavailable', detail: 'person: network error' });
});

t.test('the deadline bounds the call, and a spent deadline does not call at all', async (t) => {
  const hanging = scripted(() => new Promise<Response>(() => undefined));
  const slowFetch = (async (_url: string, init: RequestInit) =>
    new Promise<Response>((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(init.signal?.reason)))) as unknown as typeof fetch;
  const http = createEsiaHttp({ fetch: slowFetch, breaker: createCircuitBreaker({ threshold: 5, cooldownMs: 1000 }) });
  const keepAlive = setTimeout(() => undefined, 2000); // AbortSignal.timeout does not hold the process open
  t.teardown(() => clearTimeout(keepAlive));
  const started = Date.now();
  t.match(await failureOf(http.call(get(Date.now() + 150))), { failure: 'unavailable', detail: 'person: timed out' });
  t.ok(Date.now() - started < 600, 'no retry after a timeout');
  const spent = createEsiaHttp({ fetch: hanging.fetch, breaker: createCircuitBreaker({ threshold: 5, cooldownMs: 1000 }) });
  t.match(await failureOf(spent.call(get(Date.now() - 1))), { detail: 'person: no time left' });
  t.equal(hanging.calls.length, 0);
});

t.test('answers are translated: 5xx HTML, ESIA JSON errors, not JSON', async (t) => {
  const answers = scripted(
    async () => new Response('<html>java.lang.NullPointerException</html>', { status: 500 }),
    async () => json(400, { error: 'invalid_request', error_description: 'ESIA-007014: The request doesn`t contain the mandatory parameter [state].' }),
    async () => new Response('not json', { status: 200 }),
    async () => json(403, { code: 'ESIA-007019', message: 'Access denied' }),
  );
  const http = createEsiaHttp({ fetch: answers.fetch, breaker: createCircuitBreaker({ threshold: 50, cooldownMs: 1000 }) });
  const fiveHundred = await failureOf(http.call(post()));
  t.equal(fiveHundred.failure, 'unavailable');
  t.notMatch(fiveHundred.message, /NullPointer/);
  t.match(await failureOf(http.call(post())), { failure: 'request_rejected', esiaCode: '007014' });
  t.match(await failureOf(http.call(get())), { failure: 'bad_response' });
  t.match(await failureOf(http.call(get())), { failure: 'request_rejected', esiaCode: '007019' });
});

t.test('circuit breaker: opens after repeated outages, answers fast, half-opens after the cooldown', async (t) => {
  let now = 0;
  const breaker = createCircuitBreaker({ threshold: 3, cooldownMs: 10_000, now: () => now });
  const outage = scripted(...Array.from({ length: 3 }, () => async () => new Response('', { status: 503 })), async () => json(200, { back: true }));
  const http = createEsiaHttp({ fetch: outage.fetch, breaker });
  for (let i = 0; i < 3; i++) await failureOf(http.call(post()));
  t.equal(breaker.state, 'open');
  t.match(await failureOf(http.call(post())), { failure: 'unavailable', detail: /circuit open/ });
  t.equal(outage.calls.length, 3, 'no call while open');
  now += 10_000;
  t.equal(breaker.state, 'half-open');
  t.same(await http.call(get()), { back: true }, 'one trial call');
  t.equal(breaker.state, 'closed');
});

t.test('circuit breaker: a failed trial re-opens; only one trial at a time; 4xx does not count', async (t) => {
  let now = 0;
  const breaker = createCircuitBreaker({ threshold: 2, cooldownMs: 1000, now: () => now });
  breaker.failure();
  breaker.failure();
  t.equal(breaker.state, 'open');
  now += 1000;
  t.equal(breaker.allow(), true, 'the trial');
  t.equal(breaker.allow(), false, 'nobody else meanwhile');
  breaker.failure();
  t.equal(breaker.state, 'open', 'the failed trial re-opens at once');
  const rejected = scripted(async () => json(400, { error: 'invalid_request', error_description: 'ESIA-007014: x' }), async () => json(400, { error: 'invalid_request', error_description: 'ESIA-007014: x' }));
  const fresh = createCircuitBreaker({ threshold: 1, cooldownMs: 1000 });
  const http = createEsiaHttp({ fetch: rejected.fetch, breaker: fresh });
  await failureOf(http.call(post()));
  t.equal(fresh.state, 'closed', 'ESIA answered: it is up');
});

t.test('circuit breaker: a deadline our own work (signing) spent is not an ESIA outage', async (t) => {
  let now = 0;
  const breaker = createCircuitBreaker({ threshold: 1, cooldownMs: 1000, now: () => now });
  const untouched = scripted();
  const http = createEsiaHttp({ fetch: untouched.fetch, breaker, now: () => now });
  t.match(await failureOf(http.call(post(now))), { failure: 'unavailable', detail: 'token: no time left' });
  t.equal(breaker.state, 'closed', 'one ESIA failure would open it; ours does not');
  breaker.failure();
  now += 1000;
  t.equal(breaker.state, 'half-open');
  await failureOf(http.call(post(now - 1)));
  t.equal(breaker.allow(), true, 'the trial call is still there for a call that reaches ESIA');
  t.equal(untouched.calls.length, 0);
});

t.test('circuit breaker: every outcome of the half-open trial closes or re-opens the circuit', async (t) => {
  const huge = 'x'.repeat(1024 * 1024 + 1);
  const timedOut = () => Promise.reject(Object.assign(new Error('timed out'), { name: 'TimeoutError' }));
  const brokenBody = async () => new Response(new ReadableStream({ start: (controller) => controller.error(new Error('reset')) }), { status: 200 });
  const trials: Array<{ name: string; answer: () => Promise<Response>; after: 'closed' | 'open' }> = [
    { name: '200 JSON', answer: async () => json(200, { ok: true }), after: 'closed' },
    { name: '200 not JSON', answer: async () => new Response('not json', { status: 200 }), after: 'closed' },
    { name: '200 body over the size limit', answer: async () => new Response(huge, { status: 200 }), after: 'closed' },
    { name: '400 ESIA-007014', answer: async () => json(400, { error: 'invalid_request', error_description: 'ESIA-007014: x' }), after: 'closed' },
    { name: '500 ESIA-007053 (a precise, non-outage code)', answer: async () => json(500, { error: 'access_denied', error_description: 'ESIA-007053: OAuthErrorEnum.clientSecretWrong' }), after: 'closed' },
    { name: '500 ESIA-007011', answer: async () => json(500, { error: 'invalid_grant', error_description: 'ESIA-007011: x' }), after: 'closed' },
    { name: '503 ESIA-007008', answer: async () => json(503, { error: 'temporarily_unavailable', error_description: 'ESIA-007008: x' }), after: 'open' },
    { name: '500 HTML', answer: async () => new Response('<html>NullPointerException</html>', { status: 500 }), after: 'open' },
    { name: '500 body over the size limit', answer: async () => new Response(huge, { status: 500 }), after: 'open' },
    { name: 'network error', answer: () => Promise.reject(refused()), after: 'open' },
    { name: 'timeout', answer: timedOut, after: 'open' },
    { name: 'body cut off', answer: brokenBody, after: 'open' },
  ];
  for (const trial of trials) {
    let now = 0;
    const breaker = createCircuitBreaker({ threshold: 1, cooldownMs: 1000, now: () => now });
    breaker.failure();
    now += 1000;
    t.equal(breaker.state, 'half-open', `${trial.name}: half-open before the trial`);
    const answers = scripted(trial.answer, trial.answer);
    const http = createEsiaHttp({ fetch: answers.fetch, breaker, now: () => now });
    await http.call(post(now + 1000)).catch(() => undefined);
    t.equal(breaker.state, trial.after, `${trial.name}: the trial ${trial.after === 'closed' ? 'closes' : 're-opens'} the circuit`);
    if (trial.after === 'open') {
      now += 1000;
      t.equal(breaker.allow(), true, `${trial.name}: after another cooldown there is a new trial, not a stuck one`);
    } else {
      t.equal(breaker.allow(), true, `${trial.name}: calls flow again`);
      t.equal(breaker.allow(), true, `${trial.name}: and not only one`);
    }
  }
});

t.test('circuit breaker: a trial that never reports is given up after another cooldown', async (t) => {
  let now = 0;
  const breaker = createCircuitBreaker({ threshold: 1, cooldownMs: 1000, now: () => now });
  breaker.failure();
  now += 1000;
  t.equal(breaker.allow(), true, 'the trial');
  now += 999;
  t.equal(breaker.allow(), false, 'still its turn');
  now += 1;
  t.equal(breaker.allow(), true, 'a lost trial does not hold the circuit open forever');
});

t.test("a call's deadline timer goes with its answer: nothing aborts later for nothing", async (t) => {
  const signals: AbortSignal[] = [];
  const fetch = (async (_url: string, init: { signal: AbortSignal }) => {
    signals.push(init.signal);
    return json(200, { ok: true });
  }) as unknown as typeof globalThis.fetch;
  const http = createEsiaHttp({ fetch, breaker: createCircuitBreaker({ threshold: 5, cooldownMs: 1000 }) });
  t.same(await http.call(get(Date.now() + 50)), { ok: true });
  await new Promise((resolve) => setTimeout(resolve, 150));
  t.equal(signals.length, 1);
  t.equal(signals[0]?.aborted, false, 'past the deadline, the answered call was not aborted');
});

t.test('the deadline still aborts a call that has no answer, as a timeout', async (t) => {
  const fetch = ((_url: string, init: { signal: AbortSignal }) =>
    new Promise((_resolve, reject) => init.signal.addEventListener('abort', () => reject(init.signal.reason as Error)))) as unknown as typeof globalThis.fetch;
  const http = createEsiaHttp({ fetch, breaker: createCircuitBreaker({ threshold: 5, cooldownMs: 1000 }) });
  // The deadline's timer does not hold the process open (a real call's socket does): this one does.
  const keepAlive = setTimeout(() => {}, 5000);
  const failure = await failureOf(http.call(get(Date.now() + 50)));
  clearTimeout(keepAlive);
  t.equal(failure.failure, 'unavailable');
  t.match(failure.message, /timed out/);
});
