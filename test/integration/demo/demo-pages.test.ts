import t from 'tap';
import Fastify from 'fastify';
import { DEMO_SCENARIOS } from '../../../src/demo/demo-data.js';
import { listenEarly } from '../../../src/demo/early-socket.js';
import { REASON_TEXTS } from '../../../src/demo/diary/reason-texts.js';
import { REDIRECT_ONLY_CODES } from '../../../src/policy/reason-guide.js';
import { REASON_CODES } from '../../../src/policy/reasons.js';
import { startTestDemo } from '../../helpers/demo.js';
import { Browser, passEsia } from '../../helpers/emulator.js';

/**
 * What people read on the demo diary and the ESIA emulator, over real HTTP (no browser): the
 * diary's home note, its error page in Russian per reason code, the emulator's persona list,
 * and the demo's ports answering 503 (not hanging) before the demo is ready.
 */
t.test('a demo port answers 503 at once until its app is ready, then the app answers', async (t) => {
  const socket = await listenEarly(0, '127.0.0.1');
  t.teardown(() => socket.close());
  const early = await fetch(`${socket.url}/`, { signal: AbortSignal.timeout(5000) });
  t.equal(early.status, 503, 'no app yet: 503, not a hang');
  t.equal(early.headers.get('retry-after'), '2');
  t.match(await early.text(), /Демо ещё запускается/);

  const app = Fastify({ serverFactory: socket.factory });
  app.get('/', async () => 'ready');
  await app.ready();
  t.equal((await fetch(`${socket.url}/`, { signal: AbortSignal.timeout(5000) })).status, 503, 'built but not marked ready: still 503');
  socket.ready();
  const later = await fetch(`${socket.url}/`, { signal: AbortSignal.timeout(5000) });
  t.equal(later.status, 200);
  t.equal(await later.text(), 'ready');
  await app.close();
});

t.test('every broker reason code has a Russian text the diary shows', async (t) => {
  for (const code of [...REASON_CODES, ...REDIRECT_ONLY_CODES]) {
    const entry = REASON_TEXTS[code];
    t.ok(entry, code);
    t.match(entry?.text ?? '', /^[А-ЯЁ][^a-z]*$/, `${code}: Russian, no English words`);
  }
});

const demo = await startTestDemo();
t.teardown(() => demo.close());
const page = async (url: string) => {
  const response = await fetch(url, { redirect: 'manual' });
  return { status: response.status, html: await response.text() };
};

t.test('the home note names the groups that keep the password form, in good Russian', async (t) => {
  const { html } = await page(demo.diaryUrl);
  const note = /<p class="note" id="region-note"[^>]*>([^<]+)<\/p>/.exec(html)?.[1];
  t.equal(note, 'В вашем регионе также доступна стандартная форма входа по логину и паролю дневника для учащихся младше 14 лет.');
});

t.test('the diary error page speaks Russian by reason code, never the English description', async (t) => {
  for (const code of REASON_CODES) {
    const description = `${code}: some English words for developers`;
    const { status, html } = await page(`${demo.diaryUrl}/callback?${new URLSearchParams({ error: 'access_denied', error_description: description })}`);
    t.equal(status, 400, code);
    t.ok(html.includes(REASON_TEXTS[code]!.text), `${code}: its Russian text`);
    t.notMatch(html, /English words/, `${code}: the description is not shown`);
    t.match(html, `<code id="reason-code">${code}</code>`, `${code}: the code, small, for support`);
  }
  const unavailable = await page(`${demo.diaryUrl}/callback?error=temporarily_unavailable&error_description=${encodeURIComponent('the service is temporarily unavailable, try again shortly')}`);
  t.match(unavailable.html, 'Сервис входа временно недоступен');
  t.notMatch(unavailable.html, /try again/);
});

t.test('a refusal through the whole login ends on the Russian diary page', async (t) => {
  const browser = new Browser();
  const scenario = DEMO_SCENARIOS.find((s) => s.key === 'adult-simplified')!;
  const start = await browser.fetch(`${demo.diaryUrl}/login`);
  const authorize = Browser.location(start, `${demo.diaryUrl}/login`);
  const toEsia = Browser.location(await browser.fetch(authorize), authorize);

  // On the way, the emulator's persona list: a viewport for phones, each level said once.
  let url = toEsia;
  let response = await browser.fetch(url);
  for (let hop = 0; hop < 5 && response.status >= 300 && response.status < 400; hop++) {
    url = Browser.location(response, url);
    response = await browser.fetch(url);
  }
  const login = await response.text();
  t.match(login, '<meta name="viewport" content="width=device-width,initial-scale=1">');
  t.notMatch(login, /учётная запись: (\S+) [^<]*?\1|(стандартная|упрощённая|подтверждённая|детская) учётная запись[^<]*· учётная запись:/, 'no «стандартная учётная запись · учётная запись: стандартная»');
  t.match(login, 'Взрослый, стандартная учётная запись · oid 1000000101');

  const { callbackUrl } = await passEsia(browser, url, { oid: scenario.oid, callbackPrefix: `${demo.brokerUrl}/esia/callback` });
  const refusal = await browser.fetch(callbackUrl);
  t.equal(refusal.status, 403);
  const back = /<a class="button" href="([^"]+)">Вернуться в/.exec(await refusal.text())?.[1];
  t.ok(back, 'the refusal page links back to the diary');
  const diaryPage = await (await browser.fetch(back!.replace(/&amp;/g, '&'))).text();
  t.match(diaryPage, REASON_TEXTS['esia_level_too_low']!.text);
  t.match(diaryPage, '<code id="oauth-error">access_denied</code>');
  t.notMatch(diaryPage, /ESIA account level/);
});
