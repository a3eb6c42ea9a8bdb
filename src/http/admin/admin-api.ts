import type { FastifyInstance } from 'fastify';
import type { AuditLog } from '../../accounts/links.js';
import { ADMIN_ACTORS } from '../../admin/admin-call.js';
import type { ClientAdmin } from '../../admin/clients-admin.js';
import { createAdminSessions } from '../../admin/admin-sessions.js';
import type { AdminQueries } from '../../admin/reports.js';
import type { StoreKeyHash } from '../../crypto/store-key.js';
import type { StateStore } from '../../store/state-store.js';
import type { RegionTimeZones } from '../../policy/region-time.js';
import { registerAdminPage } from './admin-page-routes.js';
import { adminAuth } from './admin-auth.js';
import { registerClientRoutes } from './client-routes.js';
import { registerPeopleRoutes } from './people-routes.js';
import { registerProfileRoutes, type ProfileRoutesDeps } from './profile-routes.js';
import type { PeopleAdmin } from '../../admin/people-admin.js';
import { registerReportRoutes } from './report-routes.js';
import { registerSchoolRoutes, type SchoolRoutesDeps } from './school-routes.js';

export interface AdminApiDeps extends ProfileRoutesDeps, SchoolRoutesDeps {
  adminToken: string | undefined;
  queries: AdminQueries;
  /** RETENTION_LOGIN_EVENTS_DAYS: how far back the reports counted from login events can see. */
  loginEventsKeptDays: number;
  clients: ClientAdmin;
  /** Per-person access and erasure (docs/personal-data.md). */
  people: PeopleAdmin;
  keys: { rotate(): Promise<string[]> };
  audit: AuditLog;
  /** The /admin page: its sessions live in the state store. */
  state: StateStore;
  /** Keyed hash of the address in the admin login lockout key (crypto/store-key.ts). */
  storeKey: StoreKeyHash;
  sessionTtlMs: number;
  publicUrl: string;
  /** Region → time zone, for the times the page shows. */
  timeZones?: (() => RegionTimeZones) | undefined;
}

/**
 * Everything under /admin/ (JSON API) behind the admin bearer token, in one encapsulated
 * scope, and the /admin page behind the same token (a session cookie once it was typed).
 * Every change and every read of personal data is audited (docs/admin.md).
 */
export async function registerAdminApi(app: FastifyInstance, deps: AdminApiDeps): Promise<void> {
  await app.register(async (scope) => {
    scope.addHook('onRequest', adminAuth(deps.adminToken));
    registerReportRoutes(scope, deps);
    registerClientRoutes(scope, deps.clients);
    registerProfileRoutes(scope, deps);
    registerSchoolRoutes(scope, deps);
    registerPeopleRoutes(scope, deps.people);
    scope.post('/admin/keys/rotate', async (request, reply) => {
      const kids = await deps.keys.rotate();
      await deps.audit.record({ actor: ADMIN_ACTORS.api, action: 'keys.rotate', outcome: 'ok', requestId: request.id, details: { kids: kids.join(' ') } });
      return reply.header('cache-control', 'no-store').send({ new_kids: kids });
    });
  });
  registerAdminPage(app, {
    adminToken: deps.adminToken,
    sessions: createAdminSessions(deps.state, { adminToken: deps.adminToken, ttlMs: deps.sessionTtlMs, storeKey: deps.storeKey }),
    queries: deps.queries,
    loginEventsKeptDays: deps.loginEventsKeptDays,
    audit: deps.audit,
    publicUrl: deps.publicUrl,
    people: deps.people,
    timeZones: deps.timeZones,
    schools: { store: deps.schools, importSchools: deps.importSchools },
  });
}
