import t from 'tap';
import Fastify from 'fastify';
import { installCors } from '../../../src/http/cors.js';

// CORS is attached to its routes as they are registered: one registered before installCors
// would answer without it, so the app refuses to start instead.
t.test('CORS refuses to start when one of its routes was registered before it', async (t) => {
  const app = Fastify();
  app.get('/jwks', async () => ({ keys: [] }));
  installCors(app, { origins: { allows: async () => false } });
  await t.rejects(async () => app.ready(), /CORS: GET \/jwks registered before installCors/);

  const inOrder = Fastify();
  installCors(inOrder, { origins: { allows: async () => false } });
  inOrder.get('/jwks', async () => ({ keys: [] }));
  await inOrder.ready();
  const answer = await inOrder.inject({ url: '/jwks', headers: { origin: 'https://anyone.example' } });
  t.equal(answer.headers['access-control-allow-origin'], '*', 'registered after: covered');
  await inOrder.close();
});
