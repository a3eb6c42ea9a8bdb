import type { Directory } from '../accounts/directory.js';
import type { LinkStore } from '../accounts/links.js';
import type { ClientRepo } from './clients.js';
import { grantKeys, type GrantCache } from './grant-cache.js';
import type { FamilyRepo } from './refresh-tokens.js';

/*
 * The reads the token side makes on every call, through the grant cache (grant-cache.ts). Only
 * the OIDC context gets these: admin pages, the CLI and imports read the stores directly. Writes
 * pass through and drop the entry here at once; other replicas hear of them from the triggers.
 * Cached values are shared: callers copy, never mutate.
 */

/** Registered clients. The secret hash is cached, never a verdict: every call still checks the presented secret. */
export function cachedClients(repo: ClientRepo, cache: GrantCache): ClientRepo {
  return {
    ...repo,
    find: (clientId) => cache.read(grantKeys.client(clientId), () => repo.find(clientId)),
    async upsert(client) {
      await repo.upsert(client);
      cache.forget(grantKeys.client(client.clientId));
    },
    async remove(clientId) {
      const removed = await repo.remove(clientId);
      cache.forget(grantKeys.client(clientId));
      return removed;
    },
  };
}

export function cachedFamilies(repo: FamilyRepo, cache: GrantCache): FamilyRepo {
  return {
    ...repo,
    findFamily: (id) => cache.read(grantKeys.family(id), () => repo.findFamily(id)),
    async rotate(...args) {
      const outcome = await repo.rotate(...args);
      // Reuse revoked the family in that transaction.
      if (outcome.decision.action === 'revoke-family' && outcome.family) cache.forget(grantKeys.family(outcome.family.id));
      return outcome;
    },
    async revokeFamily(id, reason) {
      await repo.revokeFamily(id, reason);
      cache.forget(grantKeys.family(id));
    },
    async revokeSessionFamilies(sessionSid, reason) {
      const ids = await repo.revokeSessionFamilies(sessionSid, reason);
      for (const id of ids) cache.forget(grantKeys.family(id));
      return ids;
    },
  };
}

export function cachedDirectory(directory: Directory, cache: GrantCache): Directory {
  return {
    ...directory,
    findById: (id) => cache.read(grantKeys.profile(id), () => directory.findById(id)),
  };
}

export function cachedLinkOfProfile(links: Pick<LinkStore, 'linkOfProfile'>, cache: GrantCache): Pick<LinkStore, 'linkOfProfile'> {
  return { linkOfProfile: (profileId) => cache.read(grantKeys.linkOfProfile(profileId), () => links.linkOfProfile(profileId)) };
}
