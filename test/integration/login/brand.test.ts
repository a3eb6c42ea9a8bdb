import t from 'tap';
import { flowLogin, startFlowEnvironment } from '../../helpers/login-flow.js';

// One brand per diary, through real HTTP: the page a person reads names the diary they
// came from as its registration says (name, support, help page), and a diary that registered
// none gets the neutral «электронный дневник»; no page names a diary the client did not.
const env = await startFlowEnvironment({ embedded: true });
t.teardown(() => env.close());
const login = flowLogin(env);
const SIMPLIFIED_ADULT = '1000000103'; // no profile matches: a page of ours (manual link), not a redirect

t.test('a client that registered no brand: the neutral words, no support line', async (t) => {
  const refused = await login(SIMPLIFIED_ADULT);
  t.equal(refused.clientRedirect, undefined, 'the person reads a page of ours');
  t.match(refused.page, /электронн(ый|ого|ом) дневник/);
  t.notMatch(refused.page, /Дневник\.ру/, 'no diary named that the client did not register');
  t.notMatch(refused.page, /id="diary-support"/);
});

t.test('a client with its name, support contact and help page: the page names them', async (t) => {
  await env.broker.deps.clients.upsert({ ...env.client.client, productName: 'Сетевой город. Образование', supportContact: '8 800 000-00-00, с 8 до 20', helpUri: 'https://help.diary.example/esia' });
  const refused = await login(SIMPLIFIED_ADULT);
  t.equal(refused.clientRedirect, undefined);
  t.match(refused.page, /электронн(ый|ого|ом) дневник(а|е)? «Сетевой город\. Образование»/, 'the registered name after «электронный дневник»');
  t.match(refused.page, /id="diary-support"/);
  t.match(refused.page, /8 800 000-00-00, с 8 до 20/, 'the support contact');
  t.match(refused.page, /href="https:\/\/help\.diary\.example\/esia"/, 'the help page');
  t.notMatch(refused.page, /Дневник\.ру/);
});

t.test('what a registration says is text, never markup', async (t) => {
  await env.broker.deps.clients.upsert({ ...env.client.client, productName: 'Дневник <script>alert(1)</script>', supportContact: '<img src=x onerror=alert(1)>', helpUri: undefined });
  const refused = await login(SIMPLIFIED_ADULT);
  t.notMatch(refused.page, /<script>alert|<img src=x/, 'escaped');
  t.match(refused.page, /Дневник &lt;script&gt;/);
});
