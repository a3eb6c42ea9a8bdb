import t from 'tap';
import { Browser } from '../../helpers/emulator.js';
import { flowLogin, startFlowEnvironment } from '../../helpers/login-flow.js';

/**
 * Browser Back after a finished login lands on the broker's ESIA callback (or a step page)
 * again. The person is logged in: they get the way back to the diary they came from, not
 * «Запрос … составлен неверно или устарел» with no way out. Over real HTTP: ESIA emulator,
 * broker, openid-client as the diary.
 */
const region = '38';
const env = await startFlowEnvironment({ region });
t.teardown(() => env.close());
const login = flowLogin(env);
const diaryHome = `${new URL(env.client.redirectUri).origin}/`;
const homeLink = (page: string) => /<a class="button" href="([^"]+)">Перейти в электронный дневник<\/a>/.exec(page)?.[1]?.replace(/&amp;/g, '&');

t.test('Back to the ESIA callback after the login finished: «Вы уже вошли» and the way to the diary', async (t) => {
  await env.harness.profile({ lastName: 'Смирнова', firstName: 'Елена', middleName: 'Викторовна', birthDate: '1984-05-12', snils: '145-278-903 84', roles: ['parent'], region });
  const result = await login('1000000101');
  const callbackUrl = result.response.url;
  t.ok(result.clientRedirect, 'the login finished: back to the diary with a code');

  const back = await result.browser.fetch(callbackUrl);
  t.equal(back.status, 200, 'no error status: nothing went wrong');
  t.equal(back.headers.get('cache-control'), 'no-store');
  const page = await back.text();
  t.match(page, '<h1>Вы уже вошли</h1>');
  t.notMatch(page, /составлен неверно или устарел/);
  t.equal(homeLink(page), env.client.client.postLogoutRedirectUris[0] ?? diaryHome, 'the link goes to the diary the person came from');

  // Another browser (no broker session) replaying the same URL learns nothing and gets no link.
  const stranger = await new Browser().fetch(callbackUrl);
  t.equal(stranger.status, 400);
  const strangerPage = await stranger.text();
  t.match(strangerPage, /начните вход заново/);
  t.equal(homeLink(strangerPage), undefined);
});

t.test('Back to a step page (the chooser) after the login finished: the same way to the diary', async (t) => {
  const sokolova = { lastName: 'Соколова', firstName: 'Ольга', middleName: 'Николаевна', birthDate: '1982-08-22', snils: '171-834-205 61', region };
  const teacher = await env.harness.profile({ ...sokolova, roles: ['teacher'] });
  await env.harness.profile({ ...sokolova, roles: ['parent'] });
  const result = await login('1000000107');
  t.equal(result.response.status, 200);
  t.match(result.page, /Выберите профиль/);
  const chooser = result.page;
  await result.submit({ profile_id: teacher.id });
  t.ok(result.clientRedirect, 'the choice finished the login');

  // The chooser's form posted again (Back, then «Войти»): the step is gone, the person logged in.
  result.page = chooser;
  await result.submit({ profile_id: teacher.id });
  t.equal(result.response.status, 200);
  t.match(result.page, '<h1>Вы уже вошли</h1>');
  t.ok(homeLink(result.page), 'with the way to the diary');
  t.equal(result.clientRedirect, undefined, 'no second code');
});
