/**
 * An answer of status 600–999 (undici takes any three digits from the wire; a `Response` cannot be
 * built with one) through `surefetch/ky`: ky throws its `HTTPError` for it, and the redacted copy
 * of the answer surefetch gives that error keeps the status, `ok: false`, the body (redacted) and
 * surefetch's facts. Before, the copy was `Response.error()`: status 0, no body. Real local
 * socket server.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { HTTPError } from 'ky';
import { afterEach, describe, expect, it } from 'vitest';
import { createFetch, factsOf } from '../src/index.js';
import { surefetchKy } from '../src/ky.js';

let server: Server | undefined;
const sockets = new Set<Socket>();
afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  server = undefined;
});

/** Answers every request with `status` and a body echoing the bearer token it was sent. */
async function wireServer(status: number): Promise<string> {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (chunk) => {
      const token = /authorization: Bearer (\S+)/i.exec(chunk.toString('latin1'))?.[1] ?? '';
      const body = JSON.stringify({ message: `odd answer for ${token}` });
      socket.write(`HTTP/1.1 ${status} Odd\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

describe('surefetch/ky and a status over 599', () => {
  for (const status of [600, 799, 999]) {
    it(`${status}: ky's HTTPError carries a copy with status ${status}, ok false, the body without the token, and the facts`, async () => {
      const url = await wireServer(status);
      const client = surefetchKy(createFetch(), { prefixUrl: url, headers: { authorization: 'Bearer sk_live_wire_token_123' }, retry: 0 });
      const error = await client.get('v1/orders').json().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HTTPError);
      const { response } = error as HTTPError;
      expect(response.status).toBe(status);
      expect(response.ok).toBe(false);
      const text = await response.text();
      expect(text).toContain('odd answer for');
      expect(text).not.toContain('sk_live_wire_token_123');
      expect(factsOf(response)).toMatchObject({ attempts: 1 });
      expect(JSON.stringify(error)).not.toContain('sk_live_wire_token_123');
      expect((error as Error).message).not.toContain('sk_live_wire_token_123');
    });
  }
});
