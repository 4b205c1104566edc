/**
 * A URL where nothing listens, for connection-refused tests.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * Binds a free port on 127.0.0.1, releases it and returns its URL, so a request to it is
 * refused (unless another process grabs the port in between, which is unlikely).
 *
 * @example
 * ```ts
 * await fetch(await closedPortUrl()); // rejects; cause.code === 'ECONNREFUSED'
 * ```
 */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
