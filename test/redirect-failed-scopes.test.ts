/**
 * What the GET after a write's 303 is answered (a 429 naming a partition, or refusing a route
 * group's read) is not filed under the write: the write's endpoint is not pinned to the GET's
 * partition, the write's route group is not held by it, and a GET that came back to the origin
 * after a foreign hop, without the request's credentials, holds none of the credential's calls.
 * Real local servers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createFetch, rateLimit, retry } from '../src/index.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';

const servers: HostileServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('where the GET refusal is filed', () => {
  it("a later 'writes' partition hold still gates POST /v1/orders (its endpoint was not pinned to the GET's 'reads')", async () => {
    const arrivals: { what: string; at: number }[] = [];
    let phase = 1;
    let puts = 0;
    const server = await startHostileServer((seen, response) => {
      arrivals.push({ what: `${seen.method} ${seen.path}`, at: Date.now() });
      if (seen.method === 'POST' && phase === 1) return void response.writeHead(303, { location: '/v1/orders/ord_1' }).end();
      if (seen.method === 'POST') return void response.writeHead(201, { 'x-ratelimit-resource': 'writes', 'x-ratelimit-remaining': '5', 'x-ratelimit-limit': '10', 'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 60) }).end('{}');
      if (seen.path === '/v1/orders/ord_1') return void response.writeHead(429, { 'retry-after': '1', 'x-ratelimit-resource': 'reads', 'x-ratelimit-remaining': '0', 'x-ratelimit-limit': '10' }).end('{}');
      if (seen.method === 'PUT') {
        puts += 1;
        if (puts === 1) return void response.writeHead(429, { 'retry-after': '2', 'x-ratelimit-resource': 'writes', 'x-ratelimit-remaining': '0', 'x-ratelimit-limit': '10' }).end('{}');
        return void response.writeHead(200, { 'x-ratelimit-resource': 'writes', 'x-ratelimit-remaining': '5', 'x-ratelimit-limit': '10', 'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 60) }).end('{}');
      }
      response.writeHead(200).end('{}');
    });
    servers.push(server);
    const sureFetch = createFetch({ middleware: [retry({ baseDelayMs: 1 }), rateLimit({ fallbackWaitMs: 5 })], redirects: { followAsGet: true }, maxWaitMs: 5000 });
    const post = { method: 'POST', body: '{"sku":"A"}', headers: { 'content-type': 'application/json' } };
    await expect(sureFetch(`${server.url}/v1/orders`, post)).rejects.toMatchObject({ code: 'REDIRECT_FAILED' });
    await sleep(1200); // the reads hold is over
    phase = 2;
    const putDone = sureFetch(`${server.url}/v1/settings`, { method: 'PUT', body: '{}' });
    await sleep(100); // the PUT was refused: 'writes' held for 2 s
    const t0 = Date.now();
    const created = await sureFetch(`${server.url}/v1/orders`, post);
    const waited = Date.now() - t0;
    await putDone;
    expect(created.status).toBe(201);
    expect(waited).toBeGreaterThanOrEqual(1500);
  });

  it('a GET back on the own origin after a foreign hop (no credentials sent to it) does not hold the credential\'s calls (credentials never reached it)', async () => {
    let self = '';
    const other = await startHostileServer((_seen, response) => response.writeHead(302, { location: `${self}/v1/orders/ord_1` }).end());
    const server = await startHostileServer((seen, response) => {
      if (seen.method === 'POST') return void response.writeHead(303, { location: `${other.url}/bounce` }).end();
      if (seen.path === '/v1/orders/ord_1') return void response.writeHead(429, { 'retry-after': '2', 'x-saw-auth': String(seen.headers.authorization !== undefined) }).end('{}');
      response.writeHead(200).end('{}');
    });
    self = server.url;
    servers.push(server, other);
    const sureFetch = createFetch({ middleware: [retry({ baseDelayMs: 1 }), rateLimit({ fallbackWaitMs: 5 })], redirects: { followAsGet: true }, maxWaitMs: 5000 });
    const headers = { 'content-type': 'application/json', authorization: 'Bearer t0ken-s3cret-value' };
    const error = await sureFetch(`${server.url}/v1/orders`, { method: 'POST', body: '{}', headers }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'REDIRECT_FAILED', cause: { status: 429, headers: { 'x-saw-auth': 'false' } } });
    const t0 = Date.now();
    await sureFetch(`${server.url}/v1/customers`, { headers });
    expect(Date.now() - t0).toBeLessThan(1500);
  });

  it('route groups: a write after the refused read (group reads) is not held by it', async () => {
    let phase = 1;
    const server = await startHostileServer((seen, response) => {
      if (seen.method === 'POST' && phase === 1) return void response.writeHead(303, { location: '/v1/orders/ord_1' }).end();
      if (seen.method === 'POST') return void response.writeHead(201).end('{}');
      if (seen.path === '/v1/orders/ord_1') return void response.writeHead(429, { 'retry-after': '2' }).end('{}');
      response.writeHead(200).end('{}');
    });
    servers.push(server);
    const sureFetch = createFetch({
      middleware: [retry({ baseDelayMs: 1 }), rateLimit({ fallbackWaitMs: 5, groups: [{ name: 'writes', path: '/v1/orders', method: 'POST' }, { name: 'reads', path: '/v1/orders/*', method: 'GET' }] })],
      redirects: { followAsGet: true },
      maxWaitMs: 5000,
    });
    const post = { method: 'POST', body: '{"sku":"A"}', headers: { 'content-type': 'application/json' } };
    await expect(sureFetch(`${server.url}/v1/orders`, post)).rejects.toMatchObject({ code: 'REDIRECT_FAILED' });
    phase = 2;
    const t0 = Date.now();
    await sureFetch(`${server.url}/v1/orders`, post);
    // The write's group ('writes') was never refused: a refused read ('reads') must not hold it.
    expect(Date.now() - t0).toBeLessThan(1500);
  });
});
