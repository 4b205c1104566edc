/**
 * An answer Node's fetch cannot parse (status 1000) keeps its raw bytes in undici's parser
 * error (`data`), the NetworkError's cause: a server that echoes the request put the bearer
 * token and the API key there, and `console.log(error)` printed them. They are redacted now.
 */
import { createServer, type Server } from 'node:net';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { createFetch, NetworkError, retry } from '../src/index.js';

const TOKEN = 'tok_live_9f8e7d6c5b4a3210abcdef';
const API_KEY = 'AIzaSyQk3y0123456789abcdefXYZ';
let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server === undefined ? resolve(undefined) : server.close(resolve)));
  server = undefined;
});

describe('an unparseable answer that echoes the request', () => {
  it('rejects with a NetworkError whose cause chain holds neither the token nor the API key', async () => {
    server = createServer((socket) => {
      socket.once('data', (request) => {
        socket.end(`HTTP/1.1 1000 Weird\r\nContent-Length: ${String(request.length)}\r\n\r\n${request.toString('latin1')}`, 'latin1');
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const sureFetch = createFetch({ middleware: [retry({ maxAttempts: 1 })] });
    const error = await sureFetch(`http://127.0.0.1:${String(port)}/v1/me?api_key=${API_KEY}`, { headers: { authorization: `Bearer ${TOKEN}` } }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NetworkError);
    const shown = inspect(error, { depth: Number.POSITIVE_INFINITY });
    expect(shown).toContain('HPE_INVALID_STATUS');
    expect(shown).not.toContain(TOKEN);
    expect(shown).not.toContain(API_KEY);
  });
});
