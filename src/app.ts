import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerFactory } from 'fastify';
import type { Deps } from './deps.js';
import { installErrorHandler } from './http/error-handler.js';
import { createSealer } from './crypto/key-encryption.js';
import { createLoginFlow } from './http/login/login-flow.js';
import { createPendingResolutions } from './http/login/pending-resolution.js';
import { registerLoginSteps } from './http/routes/login-steps.js';
import { registerAccountLinks } from './http/routes/account-links.js';
import { installRequestMetrics } from './http/request-metrics.js';
import { installTracingHooks } from './http/tracing-hooks.js';
import { registerOpsRoutes } from './http/routes/ops.js';
import { registerRegionRoutes } from './http/routes/regions.js';
import { installOidcHttp } from './http/oidc/interaction-http.js';
import { registerAuthorizeRoutes } from './http/routes/authorize.js';
import { createLoginOutcomes } from './http/login/login-outcome.js';
import { createRegionAdmission } from './http/login/region-admission.js';
import { discoveryDocumentBody, registerDiscoveryRoutes } from './http/routes/discovery.js';
import { createPublicDocumentsFastPath, type FastPathSwitch } from './http/public-documents-fast-path.js';
import { registerAdminApi } from './http/admin/admin-api.js';
import { registerIntrospectRoute } from './http/routes/introspect.js';
import { registerLogoutRoute } from './http/routes/logout.js';
import { registerRevokeRoute } from './http/routes/revoke.js';
import { registerTokenRoute } from './http/routes/token.js';
import { registerPushedAuthorizationRoute } from './http/routes/par.js';
import { registerUserinfoRoute } from './http/routes/userinfo.js';
import { unavailableRedirect } from './oidc/redirects.js';
import { registerEsiaRoutes, type EsiaPersonHandler, type EsiaRoutesDeps } from './http/routes/esia-callback.js';
import { installCors } from './http/cors.js';
import { installCommonHeaders } from './http/common-headers.js';
import { createRequestIds } from './http/request-ids.js';
import { createBrowserOrigins } from './oidc/browser-origins.js';

export interface BuildAppOptions {
  /** Tests hand in a server already listening on port 0, so the issuer URL is known up front. */
  serverFactory?: FastifyServerFactory;
  /** The resolution leg: what happens with the person ESIA vouched for (tests inject their own). */
  esiaPersonHandler?: EsiaPersonHandler;
  /** InteractionService.fail, for the back link on ESIA refusal pages. */
  interactions?: EsiaRoutesDeps['interactions'];
  /** Discovery and JWKS before Fastify's lifecycle (on unless tracing is); tests flip it to compare, false: none. */
  publicDocumentsFastPath?: FastPathSwitch | false;
}

/** The Fastify instance and its routes, registered explicitly in one place. */
export async function buildApp(deps: Deps, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const genReqId = createRequestIds();
  // Tracing wants a span per request, which only Fastify's hooks make.
  const fastPath = deps.tracing.enabled || options.publicDocumentsFastPath === false
    ? undefined
    : createPublicDocumentsFastPath({
        discovery: discoveryDocumentBody(deps.oidc.ctx.issuer),
        jwks: () => deps.oidc.ctx.keys.publishedBodyAtHand(),
        genReqId,
        metrics: deps.metrics,
        ...(options.publicDocumentsFastPath ? { toggle: options.publicDocumentsFastPath } : {}),
      });
  const serverFactory = fastPath ? fastPath.serverFactory(options.serverFactory) : options.serverFactory;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    genReqId,
    requestIdHeader: false,
    bodyLimit: 64 * 1024,
    trustProxy: deps.config.server.trustProxy,
    connectionTimeout: 30_000,
    requestTimeout: 30_000,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    ...(serverFactory ? { serverFactory } : {}),
  });
  fastPath?.attach(app);

  installCommonHeaders(app);
  // No parsing hook: the few routes that read cookies parse them on first read (http/oidc/cookies.ts).
  await app.register(cookie, { secret: deps.config.secrets.cookieSecret, hook: false });
  await app.register(formbody, { bodyLimit: 64 * 1024 });
  installRequestMetrics(app, deps.metrics);
  installErrorHandler(app);
  installTracingHooks(app, deps.tracing);

  registerOpsRoutes(app, {
    metrics: deps.metrics,
    metricsToken: deps.config.secrets.metricsToken,
    warnings: deps.config.esia.warnings,
    probes: [
      { name: deps.database.kind, check: () => deps.database.ping() },
      { name: deps.state.kind, check: () => deps.state.ping() },
    ],
  });

  installOidcHttp(app, deps.oidc);
  installCors(app, { origins: createBrowserOrigins({ clients: deps.oidc.ctx.clients, now: deps.oidc.ctx.now }) });
  registerDiscoveryRoutes(app, deps);
  registerRegionRoutes(app, deps);
  const outcomes = createLoginOutcomes({ accounts: deps.accounts, metrics: deps.metrics });
  registerAuthorizeRoutes(app, { ...deps, admitRegion: createRegionAdmission({ regions: deps.regions, outcomes }) });
  registerPushedAuthorizationRoute(app, deps);
  registerTokenRoute(app, deps);
  registerUserinfoRoute(app, deps);
  registerIntrospectRoute(app, deps);
  registerRevokeRoute(app, deps);
  registerLogoutRoute(app, deps);
  await registerAdminApi(app, {
    adminToken: deps.config.secrets.adminToken,
    queries: deps.adminQueries,
    loginEventsKeptDays: deps.config.admin.retention.loginEventsDays,
    clients: deps.clientAdmin,
    keys: deps.oidc.ctx.keys,
    audit: deps.audit,
    profiles: deps.profileAdmin,
    importProfiles: deps.profileImport,
    schools: deps.schools,
    importSchools: deps.schoolImport,
    links: deps.linkAdmin,
    people: deps.peopleAdmin,
    importMaxBytes: deps.config.admin.importMaxBytes,
    importMaxNewPasswords: deps.config.admin.importMaxNewPasswords,
    state: deps.state,
    storeKey: deps.storeKey,
    sessionTtlMs: deps.config.admin.sessionTtlMs,
    publicUrl: deps.config.server.publicUrl,
    timeZones: deps.timeZones,
  });
  if (!deps.config.secrets.adminToken) deps.logger.warn('ADMIN_TOKEN not set: the admin API is disabled');
  const pending = createPendingResolutions(deps.state, createSealer(deps.config.secrets.keyEncryptionKey, 'pending-login'));
  const flow = createLoginFlow({ accounts: deps.accounts, regions: deps.regions, interactions: deps.interactions, pending, outcomes, schools: deps.schools, clients: deps.oidc.ctx.clients });
  registerLoginSteps(app, { flow, accounts: deps.accounts, interactions: deps.interactions, pending });
  registerAccountLinks(app, { accounts: deps.accounts, sessions: deps.oidc.ctx.sessions, keyEncryptionKey: deps.config.secrets.keyEncryptionKey, schools: deps.schools });
  registerEsiaRoutes(app, {
    login: deps.esiaLogin,
    handler: options.esiaPersonHandler ?? flow.personHandler,
    interactions: options.interactions ?? deps.interactions,
    unavailableBackLink: async (interactionId) => {
      const interaction = await deps.interactions.get(interactionId);
      return interaction ? unavailableRedirect(deps.oidc.ctx.issuer, interaction.redirectUri, interaction.state) : undefined;
    },
    outcomes,
    regions: deps.regions,
  });

  return app;
}
