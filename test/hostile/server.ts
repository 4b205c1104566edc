/**
 * The plumbing every hostile server shares: a `node:http` (or `node:https`) server on
 * 127.0.0.1:0 that logs what it received (method, path, headers, body) and whether the client
 * hung up before the answer was finished, and closes every connection on `close()`.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

/** One request as the hostile server saw it. */
export interface SeenRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  /** Set when the client closed the connection before the answer ended (a cancelled body). */
  hungUp: boolean;
}

/** Answers one request; the body has already been read into `seen.body`. */
export type HostileHandler = (seen: SeenRequest, response: ServerResponse, request: IncomingMessage) => void;

/** A running hostile server. */
export interface HostileServer {
  /** `http://127.0.0.1:<port>` (or `https://`). */
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: SeenRequest[];
  /** The underlying server (an `https.Server` when started with TLS options), for its events. */
  readonly server: Server;
  /** Resolves once the client has hung up on `seen` (its body was cancelled). */
  hangUp(seen: SeenRequest): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts a server whose every answer is written by `handler`.
 *
 * @example
 * ```ts
 * const server = await startHostileServer((seen, response) => response.end('ok'));
 * ```
 */
export async function startHostileServer(handler: HostileHandler, tls?: ServerOptions): Promise<HostileServer> {
  const requests: SeenRequest[] = [];
  const hangUps = new WeakMap<SeenRequest, Promise<void>>();
  const sockets = new Set<Socket>();
  const onRequest = (request: IncomingMessage, response: ServerResponse): void => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const seen: SeenRequest = {
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        hungUp: false,
      };
      requests.push(seen);
      hangUps.set(
        seen,
        new Promise<void>((resolve) => {
          response.on('close', () => {
            if (!response.writableFinished) seen.hungUp = true;
            resolve();
          });
        }),
      );
      handler(seen, response, request);
    });
  };
  const server = tls === undefined ? createHttpServer(onRequest) : createHttpsServer(tls, onRequest);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    requests,
    server,
    hangUp: (seen) => hangUps.get(seen) ?? Promise.resolve(),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
