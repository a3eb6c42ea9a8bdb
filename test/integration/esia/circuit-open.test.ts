import t from 'tap';
import * as oidc from 'openid-client';
import { Browser } from '../../helpers/emulator.js';
import { backLink, flowLogin, reasonOf, startFlowEnvironment } from '../../helpers/login-flow.js';

// While ESIA's circuit is open the callback would refuse anyway: /authorize says so up front
// (503, the ESIA-unavailable page, the way back to the diary) instead of sending the person
// through ESIA's login first. A long cooldown keeps the circuit open for the whole test.
const env = await startFlowEnvironment({ env: { ESIA_CIRCUIT_THRESHOLD: '1', ESIA_CIRCUIT_COOLDOWN_MS: '600000' } });
t.teardown(() => env.close());
const login = flowLogin(env);

t.test('an open circuit: /authorize answers 503 with the ESIA-unavailable page and the back link', async (t) => {
  env.emulator.faults.set({ serverError: true });
  const failed = await login('1000000102');
  env.emulator.faults.reset();
  t.equal(failed.response.status, 503, 'the outage at the token endpoint opens the circuit');
  const metrics = await (await fetch(`${env.broker.url}/metrics`)).text();
  t.match(metrics, /^esia_broker_esia_circuit_open 1$/m, 'operators see the open circuit in the metrics');

  const browser = new Browser();
  const state = oidc.randomState();
  const authorizeUrl = oidc.buildAuthorizationUrl(env.config, {
    redirect_uri: env.client.redirectUri,
    scope: 'openid',
    code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
    state,
  });
  const response = await browser.fetch(authorizeUrl.href);
  t.equal(response.status, 503, 'refused before ESIA');
  t.equal(response.headers.get('location'), null, 'not sent to ESIA');
  const page = await response.text();
  t.equal(reasonOf(page), 'esia_unavailable');
  t.match(page, /Портал госуслуг временно недоступен/);
  const back = backLink(page);
  t.ok(back, 'the way back to the diary');
  t.equal(back?.searchParams.get('error'), 'temporarily_unavailable');
  t.equal(back?.searchParams.get('state'), state);
  t.equal(`${back?.origin}${back?.pathname}`, env.client.redirectUri);
});
