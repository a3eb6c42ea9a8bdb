import type { FastifyInstance } from 'fastify';
import { ADMIN_ACTORS, type AdminCall } from '../../admin/admin-call.js';
import { parsePersonRef, type PeopleAdmin } from '../../admin/people-admin.js';

const api = (request: { id: string }): AdminCall => ({ actor: ADMIN_ACTORS.api, requestId: request.id });

/**
 * /admin/people: everything stored about one person (GET, audited as person.read) and their
 * erasure (DELETE, person.erase), by diary profile id or by ESIA oid (docs/personal-data.md).
 */
export function registerPeopleRoutes(app: FastifyInstance, people: PeopleAdmin): void {
  app.get('/admin/people/by-esia/:oid', async (request, reply) =>
    reply.header('cache-control', 'no-store').send(await people.show(parsePersonRef('esia', (request.params as { oid: string }).oid), api(request))),
  );
  app.delete('/admin/people/by-esia/:oid', async (request, reply) => reply.send(await people.erase(parsePersonRef('esia', (request.params as { oid: string }).oid), api(request))));
  app.get('/admin/people/:id', async (request, reply) =>
    reply.header('cache-control', 'no-store').send(await people.show(parsePersonRef('profile', (request.params as { id: string }).id), api(request))),
  );
  app.delete('/admin/people/:id', async (request, reply) => reply.send(await people.erase(parsePersonRef('profile', (request.params as { id: string }).id), api(request))));
}
