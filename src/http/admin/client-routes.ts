import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ADMIN_ACTORS, type AdminCall } from '../../admin/admin-call.js';
import type { ClientAdmin } from '../../admin/clients-admin.js';
import { InvalidRequest } from '../../errors/oauth-errors.js';
import { readable } from '../../validation/readable-text.js';

const idParams = z.object({ id: readable(z.string().min(1).max(128)) });

function clientId(params: unknown): string {
  const parsed = idParams.safeParse(params);
  if (!parsed.success) throw new InvalidRequest('id: must be a client id');
  return parsed.data.id;
}

const api = (request: { id: string }): AdminCall => ({ actor: ADMIN_ACTORS.api, requestId: request.id });

/** /admin/clients: register, list, read, change and remove diary frontends (changes audited; reads are not: no personal data). */
export function registerClientRoutes(app: FastifyInstance, admin: ClientAdmin): void {
  app.get('/admin/clients', async () => ({ clients: await admin.list() }));
  app.post('/admin/clients', async (request, reply) => reply.code(201).header('cache-control', 'no-store').send(await admin.create(request.body, api(request))));
  app.get('/admin/clients/:id', async (request) => admin.get(clientId(request.params)));
  app.patch('/admin/clients/:id', async (request, reply) => reply.header('cache-control', 'no-store').send(await admin.update(clientId(request.params), request.body, api(request))));
  app.delete('/admin/clients/:id', async (request, reply) => {
    await admin.remove(clientId(request.params), api(request));
    return reply.code(204).send();
  });
}
