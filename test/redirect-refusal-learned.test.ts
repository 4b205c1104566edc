/**
 * A write answered 303 and followed as a GET (`followAsGet`) whose GET the API refuses (429 with
 * Retry-After) rejects with REDIRECT_FAILED and is never re-sent; but the refusal is still the
 * API's word about its budget: `rateLimit` holds the calls that follow until its time, as it
 * would after any 429. Before, it learned nothing from it and the next call went at once, into
 * the same limit. A GET to another origin speaks for that origin only. Real local servers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RedirectError, createFetch, rateLimit, retry } from '../src/index.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';

const servers: HostileServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const order = { method: 'POST', body: '{"sku":"A"}', headers: { 'content-type': 'application/json' } };

// When each request reached a server, by path.
const arrivals = new Map<string, number>();

/** An API whose POST /v1/orders is answered 303 to `location`; its GET of the order is refused for 1 s. */
async function api(location?: (self: string) => string): Promise<HostileServer> {
  const server = await startHostileServer((seen, response) => {
    arrivals.set(seen.path, Date.now());
    if (seen.method === 'POST') return void response.writeHead(303, { location: location?.(server.url) ?? '/v1/orders/ord_1' }).end();
    if (seen.path === '/v1/orders/ord_1') return void response.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' }).end('{"message":"slow down"}');
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  servers.push(server);
  return server;
}

const sureFetchOf = () =>
  createFetch({ middleware: [retry({ baseDelayMs: 1 }), rateLimit({ fallbackWaitMs: 5 })], redirects: { followAsGet: true }, maxWaitMs: 1000 });

describe("rateLimit and the refused GET after a write's 303", () => {
  it("holds the next call to the API until the refusal's time (Retry-After: 1), and the write is sent once", async () => {
    const server = await api();
    const sureFetch = sureFetchOf();
    await expect(sureFetch(`${server.url}/v1/orders`, order)).rejects.toBeInstanceOf(RedirectError);
    const response = await sureFetch(`${server.url}/v1/customers`);
    expect(response.status).toBe(200);
    expect(arrivals.get('/v1/customers')! - arrivals.get('/v1/orders/ord_1')!).toBeGreaterThanOrEqual(900);
    expect(server.requests.map((seen) => `${seen.method} ${seen.path}`)).toEqual(['POST /v1/orders', 'GET /v1/orders/ord_1', 'GET /v1/customers']);
  });


  it('does not hold the API for a refusal of another origin the 303 pointed to', async () => {
    const other = await api();
    const server = await api(() => `${other.url}/v1/orders/ord_1`);
    const sureFetch = sureFetchOf();
    await expect(sureFetch(`${server.url}/v1/orders`, order)).rejects.toMatchObject({ code: 'REDIRECT_FAILED' });
    const response = await sureFetch(`${server.url}/v1/customers`);
    expect(response.status).toBe(200);
    expect(server.requests.map((seen) => `${seen.method} ${seen.path}`)).toEqual(['POST /v1/orders', 'GET /v1/customers']);
  });
});
