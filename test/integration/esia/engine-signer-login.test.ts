import t from 'tap';
import { beginLogin, exchange, timedFetch } from '../../helpers/fault-flow.js';
import { startFlowEnvironment } from '../../helpers/login-flow.js';

// ESIA_SIGNER=engine end to end: the emulator checks the request's client_secret (GOST signature
// over the request parameters, with the registered certificate) at /v2/ac and again at /v3/te,
// as ESIA does, so a login that completes proves the in-process signatures are what ESIA accepts.
const env = await startFlowEnvironment({ embedded: true, env: { ESIA_SIGNER: 'engine' } });
t.teardown(() => env.close());
await env.harness.profile({ lastName: 'Смирнова', firstName: 'Елена', middleName: 'Викторовна', birthDate: '1984-05-12', snils: '145-278-903 84', roles: ['parent'], region: '38' });

t.test('a whole login, signed in process, accepted by the emulator at /ac and /te', async (t) => {
  t.equal(env.broker.deps.config.esia.signer.kind, 'engine');
  for (let i = 0; i < 3; i++) {
    const login = await beginLogin(env, '1000000101');
    const tokens = await exchange(env, login, (await timedFetch(login.browser, login.callbackUrl)).response);
    t.ok(tokens.access_token, `login ${i + 1}: tokens for the diary`);
  }
});
