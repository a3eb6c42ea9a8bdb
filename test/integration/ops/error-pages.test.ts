import t from 'tap';
import { StoreUnavailable } from '../../../src/store/unavailable.js';
import { startBroker } from '../../helpers/broker.js';

// The one error handler: a bug is a 500 that does not blame the person's request; our storage
// being down is a 503 temporarily_unavailable, on pages and at the API alike.
const broker = await startBroker({
  embedded: true,
  routes: (app) => {
    app.get('/__test/page-bug', { config: { surface: 'page' } }, async () => {
      throw new Error('a bug');
    });
    app.get('/__test/page-down', { config: { surface: 'page' } }, async () => {
      throw new Error('wrapped', { cause: new StoreUnavailable('postgres', 'Query read timeout') });
    });
    app.get('/__test/api-down', async () => {
      throw new StoreUnavailable('redis', 'Connection is closed.');
    });
  },
});
t.teardown(() => broker.close());

t.test('a bug on a page: 500, our fault, not "your request was malformed"', async (t) => {
  const response = await fetch(`${broker.url}/__test/page-bug`);
  t.equal(response.status, 500);
  const page = await response.text();
  t.match(page, /внутренняя ошибка/);
  t.notMatch(page, /составлен неверно/);
  t.notMatch(page, /a bug/, 'nothing of the error leaks');
});

t.test('storage down behind a page: 503, the Russian «temporarily unavailable» page, Retry-After', async (t) => {
  const response = await fetch(`${broker.url}/__test/page-down`);
  t.equal(response.status, 503);
  t.equal(response.headers.get('retry-after'), '5');
  t.equal(response.headers.get('cache-control'), 'no-store');
  const page = await response.text();
  t.match(page, /Сервис входа временно недоступен/);
  t.match(page, /data-error="temporarily_unavailable"/);
  t.notMatch(page, /Query read timeout/);
});

t.test('storage down behind an API endpoint: 503 temporarily_unavailable naming the backend', async (t) => {
  const response = await fetch(`${broker.url}/__test/api-down`);
  t.equal(response.status, 503);
  t.equal(response.headers.get('retry-after'), '5');
  const body = (await response.json()) as { error: string; error_description: string };
  t.equal(body.error, 'temporarily_unavailable');
  t.match(body.error_description, /redis/);
  t.notMatch(body.error_description, /Connection is closed/, 'the library text stays in the log');
});
