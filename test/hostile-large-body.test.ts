import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFetch } from '../src/index.js';
import { startRedirectServer, type Echo } from './hostile/redirects.js';
import type { HostileServer } from './hostile/server.js';

// An upload too large to keep for a re-send is streamed once; servers such as S3 refuse a
// chunked upload, so its Content-Length must still be sent when the size is known.
let server: HostileServer;
beforeAll(async () => {
  server = await startRedirectServer();
});
afterAll(async () => {
  await server.close();
});

const framing = async (response: Response): Promise<{ length: string | undefined; chunked: boolean; size: number }> => {
  const echo = (await response.json()) as Echo;
  const length = echo.headers['content-length'];
  return { length: typeof length === 'string' ? length : undefined, chunked: echo.headers['transfer-encoding'] === 'chunked', size: echo.body.length };
};

describe('a body over maxReplayBytes', () => {
  it('keeps its Content-Length past the default 10 MiB', async () => {
    const body = 'a'.repeat(10 * 1024 * 1024 + 1);
    const response = await createFetch()(`${server.url}/upload`, { method: 'PUT', body });
    expect(await framing(response)).toEqual({ length: String(body.length), chunked: false, size: body.length });
  });

  it.each([
    ['a Blob', () => new Blob(['b'.repeat(4096)])],
    ['bytes', () => new Uint8Array(4096).fill(98)],
    ['a multi-byte string', () => 'é'.repeat(2048)],
    ['URLSearchParams', () => new URLSearchParams({ data: 'b'.repeat(4090) })],
  ])('keeps the Content-Length of %s', async (_name, makeBody) => {
    const body = makeBody();
    const expected = await new Response(body).arrayBuffer();
    const response = await createFetch({ maxReplayBytes: 1024 })(`${server.url}/upload`, { method: 'PUT', body: makeBody() });
    const seen = await framing(response);
    expect(seen.length).toBe(String(expected.byteLength));
    expect(seen.chunked).toBe(false);
  });
});
