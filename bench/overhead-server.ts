/**
 * The server of the overhead benchmark: node:http, keep-alive, a small JSON body for every
 * request (a POST's body is read and dropped). Started in this process by `startJsonServer`,
 * or as its own process when this file is run (it then prints `port <n>` and serves until
 * stdin closes), so that its CPU is not charged to the clients under test.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

const body = JSON.stringify({ id: 'ord_1842', status: 'ok', total: 4200, currency: 'EUR', items: [1, 2, 3] });

/** Starts the server on a free loopback port. */
export async function startJsonServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      response.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { url, close } = await startJsonServer();
  process.stdout.write(`port ${new URL(url).port}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void close().then(() => process.exit(0)));
}
