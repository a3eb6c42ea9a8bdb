import type { Client, ClientRepo } from './clients.js';

/**
 * Which browser origins may call /token, /userinfo and /revoke from script (CORS): the origins
 * of every client's redirect URIs (a single-page app is served where it is sent back to) and
 * its explicit `allowed_origins`. A preflight names no client, so the answer is the union over
 * the registry, read at most every RELOAD_MS on a miss: a new client works within seconds,
 * and a flood of foreign origins costs one registry read per interval, not one per request.
 */
const RELOAD_MS = 2_000;

export interface BrowserOrigins {
  allows(origin: string): Promise<boolean>;
}

export function clientOrigins(client: Client): string[] {
  const fromRedirects = client.redirectUris.flatMap((uri) => {
    try {
      return [new URL(uri).origin];
    } catch {
      return [];
    }
  });
  return [...fromRedirects, ...(client.allowedOrigins ?? [])];
}

export function createBrowserOrigins(deps: { clients: ClientRepo; now: () => number }): BrowserOrigins {
  let known = new Set<string>();
  let loadedAt = Number.NEGATIVE_INFINITY;
  let loading: Promise<void> | undefined;

  async function reload(): Promise<void> {
    const clients = await deps.clients.list();
    known = new Set(clients.flatMap(clientOrigins));
    loadedAt = deps.now();
  }

  return {
    async allows(origin) {
      if (known.has(origin) && deps.now() - loadedAt < 60_000) return true;
      if (deps.now() - loadedAt >= RELOAD_MS) {
        loading ??= reload().finally(() => (loading = undefined));
        await loading;
      }
      return known.has(origin);
    },
  };
}
