import type { FastifyInstance } from 'fastify';
import type { AdminQueries } from '../../admin/reports.js';
import { adminAuth } from './admin-auth.js';
import { registerReportRoutes } from './report-routes.js';

export interface AdminApiDeps {
  adminToken: string | undefined;
  queries: AdminQueries;
}

/** Everything under /admin/ (JSON API) behind the admin bearer token, in one encapsulated scope. */
export async function registerAdminApi(app: FastifyInstance, deps: AdminApiDeps): Promise<void> {
  await app.register(async (scope) => {
    scope.addHook('onRequest', adminAuth(deps.adminToken));
    registerReportRoutes(scope, deps.queries);
  });
}
