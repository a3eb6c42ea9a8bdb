import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ADMIN_ACTORS, type AdminCall } from '../../admin/admin-call.js';
import type { LinksAdmin } from '../../admin/links-admin.js';
import type { ProfileImport } from '../../admin/profile-import.js';
import { parseProfileId, type ProfilesAdmin } from '../../admin/profiles-admin.js';
import { parseOrRefuse } from '../../admin/report-runner.js';
import { InvalidRequest } from '../../errors/oauth-errors.js';

export interface ProfileRoutesDeps {
  profiles: ProfilesAdmin;
  importProfiles: ProfileImport;
  links: LinksAdmin;
  importMaxBytes: number;
  importMaxNewPasswords: number;
}

export const importQuery = z.object({
  dry_run: z.enum(['true', 'false', '1', '0']).optional().transform((v) => v === 'true' || v === '1'),
  format: z.enum(['csv', 'json']).optional(),
});

const api = (request: { id: string }): AdminCall => ({ actor: ADMIN_ACTORS.api, requestId: request.id });

/**
 * /admin/profiles (directory import, read, delete) and /admin/links (list, link, unlink).
 * The import takes `text/csv` (or text/plain) and `application/json` up to ADMIN_IMPORT_MAX_BYTES.
 */
export function registerProfileRoutes(app: FastifyInstance, deps: ProfileRoutesDeps): void {
  app.addContentTypeParser(['text/csv', 'application/csv', 'text/plain'], { parseAs: 'string', bodyLimit: deps.importMaxBytes }, (_request, body, done) => done(null, body));

  app.post('/admin/profiles/import', { bodyLimit: deps.importMaxBytes }, async (request, reply) => {
    const query = parseOrRefuse(importQuery, request.query);
    const report = await deps.importProfiles(importInput(request.body, query.format), api(request), { dryRun: query.dry_run, maxNewPasswords: deps.importMaxNewPasswords });
    return reply.header('cache-control', 'no-store').send(report);
  });

  app.get('/admin/profiles/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    return reply.header('cache-control', 'no-store').send(await deps.profiles.get(parseProfileId(id), api(request)));
  });

  app.delete('/admin/profiles/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    return reply.send(await deps.profiles.remove(parseProfileId(id), api(request)));
  });

  app.get('/admin/links', async (request, reply) => reply.header('cache-control', 'no-store').send(await deps.links.list(request.query, api(request))));

  app.post('/admin/links', async (request, reply) => {
    const { created, link } = await deps.links.create(request.body, api(request));
    return reply.code(created ? 201 : 200).send({ link });
  });

  app.delete('/admin/links/:esia_oid/:profile_id', async (request, reply) => {
    await deps.links.remove(request.params, api(request));
    return reply.code(204).send();
  });
}

/** A directory file's body (profiles or schools) as the import takes it: CSV text or JSON. */
export function importInput(body: unknown, asked: 'csv' | 'json' | undefined): { format: 'csv'; text: string } | { format: 'json'; data: unknown } {
  const isText = typeof body === 'string';
  const format = asked ?? (isText ? 'csv' : 'json');
  if (body === undefined || body === null) throw new InvalidRequest('import: send the file as text/csv or application/json');
  if (format === 'csv' && !isText) throw new InvalidRequest('import: format=csv needs a text/csv body');
  if (format === 'csv') return { format: 'csv', text: body as string };
  return { format: 'json', data: isText ? parseJson(body as string) : body };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidRequest('import: format=json but the body is not JSON');
  }
}
