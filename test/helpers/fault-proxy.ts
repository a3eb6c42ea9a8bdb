import { createServer, connect, type AddressInfo, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a backing service (Postgres, Redis) that a test can break:
 * - refuse(): stops listening and resets every open connection (the service is down);
 * - blackhole(): keeps accepting connections but drops every byte both ways (packets dropped:
 *   nothing is refused, nothing ever answers);
 * - restore(): forwards again; connections that lived through a black hole lost bytes, so they
 *   are reset and clients reconnect, as after a real network partition.
 */
export interface FaultProxy {
  readonly host: string;
  readonly port: number;
  readonly mode: 'pass' | 'refuse' | 'blackhole';
  refuse(): Promise<void>;
  blackhole(): void;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  let mode: FaultProxy['mode'] = 'pass';
  const pairs = new Set<{ client: Socket; upstream: Socket | undefined }>();

  const destroyAll = () => {
    for (const pair of pairs) {
      pair.client.destroy();
      pair.upstream?.destroy();
    }
    pairs.clear();
  };

  const server = createServer((client) => {
    const pair: { client: Socket; upstream: Socket | undefined } = { client, upstream: undefined };
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      pair.upstream?.destroy();
    };
    client.on('error', drop);
    client.on('close', drop);
    // Accepted during a black hole: never reaches the service, and its bytes go nowhere.
    if (mode === 'blackhole') {
      client.on('data', () => undefined);
      return;
    }
    const upstream = connect(target.port, target.host);
    pair.upstream = upstream;
    upstream.on('error', drop);
    upstream.on('close', drop);
    client.on('data', (chunk) => {
      if (mode === 'pass') upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (mode === 'pass') client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const listen = () => new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });

  return {
    host: '127.0.0.1',
    port,
    get mode() {
      return mode;
    },
    async refuse() {
      mode = 'refuse';
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      destroyAll();
      await closed;
    },
    blackhole() {
      mode = 'blackhole';
    },
    async restore() {
      if (mode === 'refuse') await listen();
      if (mode === 'blackhole') destroyAll();
      mode = 'pass';
    },
    async close() {
      destroyAll();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
