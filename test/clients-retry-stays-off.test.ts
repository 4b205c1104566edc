/**
 * surefetch owns retries. A call (or an instance derived with `.create`/`.extend`) that set the
 * client's own `retry` again used to turn it back on: a GET answered 500 under retry({ maxAttempts: 3 })
 * reached the server 9 times, and a create surefetch declared ambiguous was sent again blind.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createFetch, retry } from '../src/index.js';
import { surefetchOfetch } from '../src/ofetch.js';
import { surefetchKy } from '../src/ky.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';

let server: HostileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function failing(): Promise<HostileServer> {
  return startHostileServer((_seen, response) => {
    response.writeHead(500, { 'content-type': 'application/json' });
    response.end('{"message":"boom"}');
  });
}

const sureFetch = () => createFetch({ middleware: [retry({ maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 })] });
const sends = (method: string) => server!.requests.filter((seen) => seen.method === method).length;

describe("the client's own retry, set again per call", () => {
  it('ofetch: a GET with retry: 2, and one through .create({ retry: 2 }), each reach the server 3 times', async () => {
    server = await failing();
    const api = surefetchOfetch(sureFetch(), { baseURL: server.url });
    await expect(api('/v1/orders', { retry: 2, retryDelay: 1 })).rejects.toMatchObject({ status: 500 });
    expect(sends('GET')).toBe(3);
    await expect(api.create({ retry: 2, retryDelay: 1 })('/v1/orders')).rejects.toMatchObject({ status: 500 });
    expect(sends('GET')).toBe(6);
  });

  it('ofetch: a create with retry: 2 answered 500 is sent once', async () => {
    server = await failing();
    const api = surefetchOfetch(sureFetch(), { baseURL: server.url });
    await expect(api('/v1/orders', { method: 'POST', body: { sku: 'a' }, retry: 2, retryDelay: 1 })).rejects.toBeDefined();
    expect(sends('POST')).toBe(1);
  });

  it('ky: a GET with retry { limit: 2 }, and one through .extend({ retry: 2 }), each reach the server 3 times', async () => {
    server = await failing();
    const api = surefetchKy(sureFetch(), { prefixUrl: server.url });
    await expect(api.get('v1/orders', { retry: { limit: 2, delay: () => 1 } })).rejects.toMatchObject({ response: { status: 500 } });
    expect(sends('GET')).toBe(3);
    await expect(api.extend({ retry: 2 }).get('v1/orders')).rejects.toMatchObject({ response: { status: 500 } });
    expect(sends('GET')).toBe(6);
  });

  it('ky: a create with retry { limit: 2, methods: [post] } answered 500 is sent once', async () => {
    server = await failing();
    const api = surefetchKy(sureFetch(), { prefixUrl: server.url });
    await expect(api.post('v1/orders', { json: { sku: 'a' }, retry: { limit: 2, methods: ['post'], delay: () => 1 } })).rejects.toBeDefined();
    expect(sends('POST')).toBe(1);
  });
});
