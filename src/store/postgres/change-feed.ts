import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DEFAULT_BEAT_MS, type GrantCacheFeedSide } from '../../oidc/grant-cache.js';

/** The channel migration 0011's triggers NOTIFY. */
export const GRANT_CHANNEL = 'esia_broker_grants';

export interface ChangeFeedOptions {
  /** A direct (session) connection: LISTEN does not survive PgBouncer's transaction pooling. */
  url: string;
  cache: GrantCacheFeedSide;
  now: () => number;
  beatMs?: number;
  /** Told once per lost connection, never with a URL or credentials. */
  onLost?: (reason: string) => void;
}

export interface ChangeFeed {
  /** Drops the connection as if the network had (tests); the feed reconnects as after any loss. */
  interrupt(): void;
  close(): Promise<void>;
}

/**
 * LISTENs on its own connection and keeps beating: every beatMs a NOTIFY carrying this
 * process's id and clock, which the cache takes as "heard everything up to then" when it comes
 * back (src/oidc/grant-cache.ts). A lost connection (error, end, a beat that fails) makes the
 * cache cold at once; a silent one (no beat back) makes it cold by itself, and is replaced.
 */
export function startChangeFeed(options: ChangeFeedOptions): ChangeFeed {
  const self = randomBytes(6).toString('base64url');
  const beatMs = options.beatMs ?? DEFAULT_BEAT_MS;
  let client: pg.Client | undefined;
  let connecting = false;
  let closed = false;
  let lastHeard = 0;
  let beating = false;

  const lose = (reason: string) => {
    const lostClient = client;
    client = undefined;
    options.cache.lost();
    if (lostClient) {
      options.onLost?.(reason);
      lostClient.removeAllListeners('end');
      lostClient.on('error', () => undefined);
      void lostClient.end().catch(() => undefined);
    }
  };

  async function connect(): Promise<void> {
    if (closed || connecting || client) return;
    connecting = true;
    // Beats time out well inside the staleness bound: a hung connection must not hold a beat.
    const fresh = new pg.Client({ connectionString: options.url, application_name: 'esia-broker change feed', query_timeout: 2000, connectionTimeoutMillis: 2000 });
    fresh.on('error', () => lose('error'));
    fresh.on('end', () => lose('ended'));
    fresh.on('notification', (message) => {
      if (message.channel !== GRANT_CHANNEL || !message.payload) return;
      const payload = message.payload;
      if (payload.startsWith('b:')) {
        const [, from, sentAt] = payload.split(':');
        if (from === self) {
          lastHeard = options.now();
          options.cache.heardUpTo(Number(sentAt));
        }
        return;
      }
      options.cache.changed(payload);
    });
    try {
      await fresh.connect();
      // A beat needs no durability: its commit need not wait for the WAL to reach the disk.
      await fresh.query('set synchronous_commit = off');
      await fresh.query(`listen ${GRANT_CHANNEL}`);
      if (closed) {
        await fresh.end();
        return;
      }
      client = fresh;
      lastHeard = options.now();
    } catch {
      fresh.on('error', () => undefined);
      await fresh.end().catch(() => undefined);
    } finally {
      connecting = false;
    }
  }

  const beat = () => {
    if (closed) return;
    if (!client) {
      void connect();
      return;
    }
    // Silent for long: a half-open connection that neither fails nor answers. Start afresh.
    if (options.now() - lastHeard > 10 * beatMs + 2000) {
      lose('silent');
      void connect();
      return;
    }
    // One beat at a time: a slow one is not stacked on, the cache turns cold by itself meanwhile.
    if (beating) return;
    beating = true;
    const current = client;
    current
      .query('select pg_notify($1, $2)', [GRANT_CHANNEL, `b:${self}:${options.now()}`])
      .catch(() => {
        if (client === current) lose('beat failed');
      })
      .finally(() => {
        beating = false;
      });
  };
  const timer = setInterval(beat, beatMs);
  timer.unref();
  void connect();

  return {
    interrupt() {
      const current = client;
      if (!current) return;
      lose('interrupted');
    },
    async close() {
      closed = true;
      clearInterval(timer);
      const current = client;
      client = undefined;
      options.cache.lost();
      if (current) {
        current.removeAllListeners('end');
        current.on('error', () => undefined);
        await current.end().catch(() => undefined);
      }
    },
  };
}
