import { z } from 'zod';
import { randomToken } from '../crypto/random.js';
import { hashClientSecret } from '../crypto/secret-hash.js';
import { NotFoundError } from '../errors/not-found.js';
import { InvalidRequest } from '../errors/oauth-errors.js';
import type { AuditLog } from '../accounts/links.js';
import type { AdminCall } from './admin-call.js';
import { clientEntry, clientFromEntry, entryFromClient, type ClientEntry } from '../oidc/client-file.js';
import type { ClientRepo } from '../oidc/clients.js';

/**
 * Registering and editing diary frontends. A generated secret is returned once and stored
 * only as its hash; the wire form is the clients.json format (docs/oidc.md).
 */
export interface ClientView extends Omit<ClientEntry, 'client_secret' | 'client_secret_hash'> {
  has_secret: boolean;
}

export interface ClientAdminDeps {
  clients: ClientRepo;
  audit: AuditLog;
}

const patchSchema = z.object({ regenerate_secret: z.boolean().optional() }).passthrough();

function view(entry: ClientEntry): ClientView {
  const { client_secret: _secret, client_secret_hash: hash, ...rest } = entry;
  return { ...rest, has_secret: Boolean(hash) };
}

function validate(input: unknown): ClientEntry {
  const parsed = clientEntry.safeParse(input);
  if (!parsed.success) {
    throw new InvalidRequest(parsed.error.issues.slice(0, 5).map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; '));
  }
  return parsed.data;
}

const usesSecret = (input: Record<string, unknown>) => String(input['token_endpoint_auth_method'] ?? 'client_secret_basic').startsWith('client_secret_');

export function createClientAdmin(deps: ClientAdminDeps) {
  const audit = (action: string, clientId: string, call: AdminCall) =>
    deps.audit.record({ actor: call.actor, action, target: clientId, outcome: 'ok', clientId, requestId: call.requestId });

  return {
    async list(): Promise<ClientView[]> {
      return (await deps.clients.list()).map((client) => view(entryFromClient(client)));
    },

    async get(clientId: string): Promise<ClientView> {
      const client = await deps.clients.find(clientId);
      if (!client) throw new NotFoundError(`client ${clientId}`);
      return view(entryFromClient(client));
    },

    /** Creates a client; a secret-authenticated client without a given secret gets a generated one, returned once. */
    async create(input: unknown, call: AdminCall): Promise<{ client: ClientView; client_secret?: string }> {
      const body = (input && typeof input === 'object' ? input : {}) as Record<string, unknown>;
      const generated = usesSecret(body) && body['client_secret'] === undefined && body['client_secret_hash'] === undefined ? randomToken(32) : undefined;
      const entry = validate(generated ? { ...body, client_secret: generated } : body);
      if (await deps.clients.find(entry.client_id)) throw new InvalidRequest(`client_id: ${entry.client_id} is already registered`);
      await deps.clients.upsert(clientFromEntry(entry));
      await audit('client.create', entry.client_id, call);
      return { client: view({ ...entry, client_secret_hash: hashClientSecret(entry.client_secret ?? generated ?? '') }), ...(generated ? { client_secret: generated } : {}) };
    },

    /** Changes the given fields; `regenerate_secret: true` issues a new secret, returned once. */
    async update(clientId: string, input: unknown, call: AdminCall): Promise<{ client: ClientView; client_secret?: string }> {
      const existing = await deps.clients.find(clientId);
      if (!existing) throw new NotFoundError(`client ${clientId}`);
      const { regenerate_secret: regenerate, ...patch } = patchSchema.parse(input ?? {});
      if ('client_id' in patch && patch['client_id'] !== clientId) throw new InvalidRequest('client_id: cannot be changed');
      const current = entryFromClient(existing);
      const generated = regenerate ? randomToken(32) : undefined;
      const secretChange = generated ? { client_secret: generated } : patch['client_secret'] ? { client_secret: patch['client_secret'] } : undefined;
      const { client_secret_hash: currentHash, ...withoutSecret } = current;
      // Keep the stored secret unless it changes or the client stops using one.
      const keepHash = !secretChange && currentHash && usesSecret({ ...current, ...patch });
      const entry = validate({ ...withoutSecret, ...(keepHash ? { client_secret_hash: currentHash } : {}), ...patch, ...secretChange });
      await deps.clients.upsert(clientFromEntry(entry));
      await audit(generated ? 'client.secret_rotate' : 'client.update', clientId, call);
      return { client: view(entryFromClient(clientFromEntry(entry))), ...(generated ? { client_secret: generated } : {}) };
    },

    async remove(clientId: string, call: AdminCall): Promise<void> {
      if (!(await deps.clients.remove(clientId))) throw new NotFoundError(`client ${clientId}`);
      await audit('client.delete', clientId, call);
    },
  };
}

export type ClientAdmin = ReturnType<typeof createClientAdmin>;
