import type { Client, ClientRepo } from '../../oidc/clients.js';
import type { Selectable } from 'kysely';
import type { Db } from './database.js';
import type { ClientsTable } from './schema.js';

type ClientRow = Selectable<ClientsTable>;

function toClient(row: ClientRow): Client {
  return {
    clientId: row.client_id,
    name: row.name,
    authMethod: row.auth_method as Client['authMethod'],
    secretHash: row.secret_hash ?? undefined,
    jwks: (row.jwks ?? undefined) as Client['jwks'],
    redirectUris: row.redirect_uris,
    postLogoutRedirectUris: row.post_logout_redirect_uris,
    regions: row.regions,
    allowedScopes: row.allowed_scopes as Client['allowedScopes'],
    allowedResources: row.allowed_resources,
    idTokenAlg: row.id_token_signed_response_alg as Client['idTokenAlg'],
    refreshTokenTtlSeconds: row.refresh_token_ttl_seconds,
    allowedOrigins: row.allowed_origins,
    authorizationErrorIss: row.authorization_error_iss,
    requirePushedAuthorizationRequests: row.require_pushed_authorization_requests,
    backchannelLogoutUri: row.backchannel_logout_uri ?? undefined,
    backchannelLogoutSessionRequired: row.backchannel_logout_session_required,
    productName: row.product_name ?? undefined,
    supportContact: row.support_contact ?? undefined,
    helpUri: row.help_uri ?? undefined,
    clientUri: row.client_uri ?? undefined,
  };
}

/** The client registry in Postgres (`clients`). */
export function createPostgresClientRepo(db: Db): ClientRepo {
  return {
    async find(clientId) {
      const row = await db.selectFrom('clients').selectAll().where('client_id', '=', clientId).executeTakeFirst();
      return row ? toClient(row) : null;
    },

    async list() {
      const rows = await db.selectFrom('clients').selectAll().orderBy('client_id').execute();
      return rows.map(toClient);
    },

    async remove(clientId) {
      const result = await db.deleteFrom('clients').where('client_id', '=', clientId).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    async upsert(client) {
      const values = {
        name: client.name,
        secret_hash: client.secretHash ?? null,
        jwks: client.jwks ? JSON.stringify(client.jwks) : null,
        auth_method: client.authMethod,
        redirect_uris: JSON.stringify(client.redirectUris),
        post_logout_redirect_uris: JSON.stringify(client.postLogoutRedirectUris),
        regions: JSON.stringify(client.regions),
        allowed_scopes: JSON.stringify(client.allowedScopes),
        allowed_resources: JSON.stringify(client.allowedResources),
        id_token_signed_response_alg: client.idTokenAlg,
        refresh_token_ttl_seconds: client.refreshTokenTtlSeconds,
        allowed_origins: JSON.stringify(client.allowedOrigins ?? []),
        authorization_error_iss: client.authorizationErrorIss ?? true,
        require_pushed_authorization_requests: client.requirePushedAuthorizationRequests ?? false,
        backchannel_logout_uri: client.backchannelLogoutUri ?? null,
        backchannel_logout_session_required: client.backchannelLogoutSessionRequired ?? false,
        product_name: client.productName ?? null,
        support_contact: client.supportContact ?? null,
        help_uri: client.helpUri ?? null,
        client_uri: client.clientUri ?? null,
      };
      await db
        .insertInto('clients')
        .values({ client_id: client.clientId, ...values })
        .onConflict((oc) => oc.column('client_id').doUpdateSet({ ...values, updated_at: new Date() }))
        .execute();
    },
  };
}
