import { createServer, connect, type Server, type Socket } from 'node:net';

/** A TCP proxy in front of a real backend that can be partitioned: it then accepts and never forwards. */
export interface FreezingProxy {
  /** `host:port` of the proxy. */
  readonly port: number;
  /** Stops forwarding in both directions, on open connections and new ones (a partition, not a refusal). */
  freeze(): void;
  /** How many client connections are still open (a client that destroyed its socket is gone). */
  openClients(): number;
  /** Closes the proxy and every socket it holds. */
  close(): Promise<void>;
}

/**
 * Starts a proxy to `127.0.0.1:targetPort` on a free port. While frozen, bytes are read and dropped,
 * so the client sees its writes succeed and no answer ever comes: what a partitioned backend looks like.
 */
export async function startFreezingProxy(targetPort: number): Promise<FreezingProxy> {
  let frozen = false;
  const sockets = new Set<Socket>();
  const clients = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  const server: Server = createServer((client) => {
    track(client);
    clients.add(client);
    client.on('close', () => clients.delete(client));
    if (frozen) {
      client.on('data', () => undefined);
      return;
    }
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    track(upstream);
    client.on('data', (chunk) => {
      if (!frozen) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!frozen) client.write(chunk);
    });
    // A partition never sends FIN: closes on one side are not passed on while frozen.
    client.on('close', () => {
      if (!frozen) upstream.destroy();
    });
    upstream.on('close', () => {
      if (!frozen) client.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return {
    port: address.port,
    openClients: () => clients.size,
    freeze: () => {
      frozen = true;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `url` with its host and port replaced by the proxy's. */
export function throughProxy(url: string, proxy: FreezingProxy): string {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(proxy.port);
  return parsed.toString();
}
