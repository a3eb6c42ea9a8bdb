import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ADMIN_ACTORS } from '../../admin/admin-call.js';
import { toCsv } from '../../admin/csv.js';
import { parseOrRefuse } from '../../admin/report-runner.js';
import type { SchoolImport } from '../../admin/school-import.js';
import type { SchoolStore } from '../../admin/school-store.js';
import { importInput, importQuery } from './profile-routes.js';

export interface SchoolRoutesDeps {
  schools: SchoolStore;
  importSchools: SchoolImport;
  importMaxBytes: number;
}

const listQuery = z.object({
  region: z.string().regex(/^\d{2}$/, 'код региона — две цифры').optional(),
  format: z.enum(['json', 'csv']).default('json'),
});

/**
 * /admin/schools: the school directory's import (text/csv or application/json, as for
 * profiles; the text parsers are the profile routes', same scope) and its listing. Names of
 * schools are no personal data: the listing is not audited, the import is.
 */
export function registerSchoolRoutes(app: FastifyInstance, deps: SchoolRoutesDeps): void {
  app.post('/admin/schools/import', { bodyLimit: deps.importMaxBytes }, async (request, reply) => {
    const query = parseOrRefuse(importQuery, request.query);
    const report = await deps.importSchools(importInput(request.body, query.format), { actor: ADMIN_ACTORS.api, requestId: request.id }, { dryRun: query.dry_run });
    return reply.header('cache-control', 'no-store').send(report);
  });

  app.get('/admin/schools', async (request, reply) => {
    const query = parseOrRefuse(listQuery, request.query);
    const schools = (await deps.schools.list(query.region)).map((s) => ({ id: s.id, full_name: s.fullName, short_name: s.shortName, municipality: s.municipality, region: s.region }));
    reply.header('cache-control', 'no-store');
    if (query.format === 'csv') {
      return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="schools.csv"').send(toCsv(['id', 'full_name', 'short_name', 'municipality', 'region'], schools));
    }
    return reply.send({ schools });
  });
}
