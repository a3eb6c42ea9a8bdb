import t from 'tap';
import Fastify from 'fastify';
import { installErrorHandler } from '../../../src/http/error-handler.js';

/** The backstop behind the edge checks: a value the database refused is the client's 400, not our 500. */
t.test('a Postgres data exception (SQLSTATE class 22) answers 400 invalid_request', async (t) => {
  const app = Fastify();
  installErrorHandler(app);
  const thrown = (code: string) => Object.assign(new Error('database said no'), { code });
  app.get('/nul', async () => { throw thrown('22021'); }); // invalid byte sequence for encoding "UTF8": 0x00
  app.get('/date', async () => { throw thrown('22008'); }); // date/time field value out of range
  app.get('/jsonb', async () => { throw thrown('22P05'); }); // unsupported Unicode escape sequence
  app.get('/other', async () => { throw thrown('23505'); }); // unique violation: not the client's wording
  t.teardown(() => app.close());
  for (const path of ['/nul', '/date', '/jsonb']) {
    const res = await app.inject(path);
    t.equal(res.statusCode, 400, path);
    t.match(res.json(), { error: 'invalid_request', error_description: /cannot be stored/ }, path);
    t.notMatch(res.body, /database said no/, `${path}: the database's words stay inside`);
  }
  t.equal((await app.inject('/other')).statusCode, 500);
});
