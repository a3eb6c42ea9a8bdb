import t from 'tap';
import { ADMIN_LOGIN_LIMIT, adminLoginFailuresKey } from '../../../src/admin/admin-sessions.js';
import { ADMIN_TOKEN } from '../../helpers/admin.js';
import { startBroker } from '../../helpers/broker.js';
import { Browser } from '../../helpers/emulator.js';

// The /admin page's token form under a burst: the failure count is taken before the token is
// compared, so parallel posts from one address get at most the limit compared (401), the rest
// 429 without a look at the token. Through real HTTP, on Redis when REDIS_URL is set: there the
// old read-then-count let 30 of 100 through. (In memory the read and the count never yielded to
// I/O, so the burst could not slip between them; the test holds the bound on both.)
const broker = await startBroker();
t.teardown(() => broker.close());

async function openForm(): Promise<{ browser: Browser; xsrf: string }> {
  const browser = new Browser();
  const page = await (await browser.fetch(`${broker.url}/admin`)).text();
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(page)?.[1];
  if (!xsrf) throw new Error('no token form');
  return { browser, xsrf };
}

for (const burst of [30, 100]) {
  t.test(`${burst} parallel wrong tokens: at most ${ADMIN_LOGIN_LIMIT.failures} compared, the rest locked out`, async (t) => {
    await broker.deps.state.delete(adminLoginFailuresKey(broker.deps.storeKey, '127.0.0.1')); // a fresh window for each burst
    const { browser, xsrf } = await openForm();
    const statuses = await Promise.all(Array.from({ length: burst }, (_, i) => browser.fetch(`${broker.url}/admin/login`, { form: { xsrf, token: `wrong-${i}` } }).then((r) => r.status)));
    const compared = statuses.filter((s) => s === 401).length;
    t.ok(compared <= ADMIN_LOGIN_LIMIT.failures, `${compared} tokens compared (limit ${ADMIN_LOGIN_LIMIT.failures})`);
    t.equal(compared + statuses.filter((s) => s === 429).length, burst, 'every other post locked out (429)');
    const fresh = await openForm(); // every answer above set a new form token
    const right = await fresh.browser.fetch(`${broker.url}/admin/login`, { form: { xsrf: fresh.xsrf, token: ADMIN_TOKEN } });
    t.equal(right.status, 429, 'the right token waits out the lockout too');
  });
}
