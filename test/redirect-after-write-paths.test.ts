/**
 * Paths of REDIRECT_FAILED (from a skeptic's review) beside test/redirect-after-write.test.ts (multi-hop
 * chains, another origin, a loop, a stalled error body, the existence check, the adapters), and
 * the redirects that must still be re-sent (a GET's, a 307's). Real local servers.
 */
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpError, BodyTimeoutError, RedirectError, createFetch, forClient, idempotency, memoryStore, queueDecisionOf, rateLimit, retry, type SurefetchEvent } from '../src/index.js';
import { surefetchOfetch } from '../src/ofetch.js';
import { surefetchKy } from '../src/ky.js';
import { lateItemsCheck, postItem } from './hostile/late-reader.js';
import { startHostileServer, type HostileHandler, type HostileServer } from './hostile/server.js';

const servers: HostileServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});
async function serve(handler: HostileHandler): Promise<HostileServer> {
  const server = await startHostileServer(handler);
  servers.push(server);
  return server;
}

const posts = (server: HostileServer): number => server.requests.filter((seen) => seen.method === 'POST').length;
const paths = (server: HostileServer): string[] => server.requests.map((seen) => `${seen.method} ${seen.path}`);
const order = { method: 'POST', body: '{"sku":"A"}', headers: { 'content-type': 'application/json' } };
const layered = () => createFetch({ middleware: [retry({ baseDelayMs: 1 }), rateLimit({ fallbackWaitMs: 5 })], redirects: { followAsGet: true } });

describe('REDIRECT_FAILED along a chain of hops', () => {
  for (const second of [307, 302]) {
    it(`POST → 303 → GET → ${second} → GET answered 429: one POST, REDIRECT_FAILED naming the first redirect`, async () => {
      const server = await serve((seen, response) => {
        if (seen.method === 'POST') return void response.writeHead(303, { location: '/v1/orders/ord_1' }).end();
        if (seen.path === '/v1/orders/ord_1') return void response.writeHead(second, { location: '/v2/orders/ord_1' }).end();
        response.writeHead(429, { 'retry-after': '0' }).end('{}');
      });
      const error = await layered()(`${server.url}/v1/orders`, order).catch((e: unknown) => e);
      expect(paths(server)).toEqual(['POST /v1/orders', 'GET /v1/orders/ord_1', 'GET /v2/orders/ord_1']);
      expect(error).toMatchObject({ code: 'REDIRECT_FAILED', sent: 'ambiguous', status: 303, location: `${server.url}/v1/orders/ord_1` });
      expect((error as RedirectError).cause).toMatchObject({ status: 429 });
    });
  }

  it('POST → 307 → POST → 303 → GET answered 500: the 307 hop is the only re-send, REDIRECT_FAILED names the hop that answered 303', async () => {
    const server = await serve((seen, response) => {
      if (seen.path === '/v1/orders') return void response.writeHead(307, { location: '/v1/orders/' }).end();
      if (seen.method === 'POST') return void response.writeHead(303, { location: '/v1/orders/ord_1' }).end();
      response.writeHead(500).end('{}');
    });
    const error = await layered()(`${server.url}/v1/orders`, order).catch((e: unknown) => e);
    expect(paths(server)).toEqual(['POST /v1/orders', 'POST /v1/orders/', 'GET /v1/orders/ord_1']);
    expect(error).toMatchObject({ code: 'REDIRECT_FAILED', sent: 'ambiguous', status: 303, url: `${server.url}/v1/orders/` });
  });

  it('a 303 to another origin whose GET is answered 429: one POST, one GET there, no Authorization sent there', async () => {
    const other = await serve((_seen, response) => response.writeHead(429, { 'retry-after': '0' }).end('{}'));
    const server = await serve((_seen, response) => response.writeHead(303, { location: `${other.url}/orders/ord_1` }).end());
    const error = await layered()(`${server.url}/v1/orders`, { ...order, headers: { ...order.headers, authorization: 'Bearer t0ken' } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'REDIRECT_FAILED', sent: 'ambiguous' });
    expect(posts(server)).toBe(1);
    expect(other.requests).toHaveLength(1);
    expect(other.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('a GET loop after the 303 ends in TOO_MANY_REDIRECTS, sent ambiguous, with one POST', async () => {
    const server = await serve((seen, response) => {
      if (seen.method === 'POST') return void response.writeHead(303, { location: '/a' }).end();
      response.writeHead(302, { location: '/a' }).end();
    });
    const error = await layered()(`${server.url}/v1/orders`, order).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TOO_MANY_REDIRECTS', sent: 'ambiguous', verdict: 'terminal' });
    expect(posts(server)).toBe(1);
    expect(server.requests).toHaveLength(11);
  });

  it('a GET error body that stalls past bodyTimeoutMs: REDIRECT_FAILED, its HttpError keeps what arrived, BodyTimeoutError below', async () => {
    const server = await serve((seen, response) => {
      if (seen.method === 'POST') return void response.writeHead(303, { location: '/a' }).end();
      response.writeHead(500, { 'content-type': 'text/plain' });
      response.write('partial');
    });
    const sureFetch = createFetch({ middleware: [retry({ baseDelayMs: 1 })], redirects: { followAsGet: true }, bodyTimeoutMs: 100, attemptTimeoutMs: 5000 });
    const error = (await sureFetch(`${server.url}/v1/orders`, order).catch((e: unknown) => e)) as RedirectError;
    expect(error).toMatchObject({ code: 'REDIRECT_FAILED', sent: 'ambiguous' });
    expect(error.cause).toBeInstanceOf(HttpError);
    expect(error.cause).toMatchObject({ status: 500, body: 'partial', bodyTruncated: true });
    expect((error.cause as HttpError).cause).toBeInstanceOf(BodyTimeoutError);
    expect(posts(server)).toBe(1);
  });
});

describe('redirects whose refusal is still re-sent', () => {
  it('a GET answered 301 whose hop is answered 429 is re-sent by rateLimit (a read, not a write)', async () => {
    let reads = 0;
    const server = await serve((seen, response) => {
      if (seen.path === '/old') return void response.writeHead(301, { location: '/new' }).end();
      reads += 1;
      response.writeHead(reads === 1 ? 429 : 200, { 'retry-after': '0' }).end('{}');
    });
    expect((await layered()(`${server.url}/old`)).status).toBe(200);
    expect(paths(server)).toEqual(['GET /old', 'GET /new', 'GET /old', 'GET /new']);
  });

  it('a POST answered 307 whose hop is answered 429 is re-sent (the hop refused the POST itself)', async () => {
    let hops = 0;
    const server = await serve((seen, response) => {
      if (seen.path === '/v1/orders') return void response.writeHead(307, { location: '/v1/orders/' }).end();
      hops += 1;
      response.writeHead(hops === 1 ? 429 : 201, { 'retry-after': '0' }).end('{}');
    });
    expect((await layered()(`${server.url}/v1/orders`, order)).status).toBe(201);
    expect(paths(server)).toEqual(['POST /v1/orders', 'POST /v1/orders/', 'POST /v1/orders', 'POST /v1/orders/']);
  });
});

/** POST /v1/items commits and answers 303 to the item; its GET is answered `status`; GET /v1/items?email= lists. */
async function itemsApi(status: number) {
  const items: { id: string; email: string; createdAt: string }[] = [];
  const server = await serve((seen, response) => {
    const url = new URL(seen.path, 'http://items.test');
    if (seen.method === 'POST') {
      const item = { id: `item_${items.length + 1}`, email: (JSON.parse(seen.body) as { email: string }).email, createdAt: new Date().toISOString() };
      items.push(item);
      return void response.writeHead(303, { location: `/v1/items/${item.id}` }).end();
    }
    if (url.pathname === '/v1/items') return void response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(items));
    response.writeHead(status, { 'content-type': 'application/json', 'retry-after': '0' }).end('{"message":"read it later"}');
  });
  return Object.assign(server, { items });
}

describe('REDIRECT_FAILED with idempotency and an existence check', () => {
  it('with retry: the give-up look finds the item, which becomes the result; a re-run replays it without sending', async () => {
    const api = await itemsApi(429);
    const store = memoryStore();
    const sureFetch = createFetch({ middleware: [idempotency({ store, existenceCheck: lateItemsCheck() }), retry({ baseDelayMs: 1 }), rateLimit({ fallbackWaitMs: 5 })], redirects: { followAsGet: true } });
    const first = await postItem(sureFetch, api.url, 'job-r1:create');
    expect(first.status).toBe(201);
    expect(first.headers.get('x-surefetch-recovered')).toBe('lookup');
    expect(await store.get('job-r1:create')).toMatchObject({ state: 'succeeded' });
    const again = await postItem(sureFetch, api.url, 'job-r1:create');
    expect(await again.json()).toMatchObject({ id: 'item_1' });
    expect(posts(api)).toBe(1);
    expect(api.items).toHaveLength(1);
  });

  it('without retry: the record keeps it pending and ambiguous with REDIRECT_FAILED; a re-run asks the check and sends nothing', async () => {
    const api = await itemsApi(500);
    const store = memoryStore();
    const sureFetch = createFetch({ middleware: [idempotency({ store, existenceCheck: lateItemsCheck() })], redirects: { followAsGet: true } });
    await expect(postItem(sureFetch, api.url, 'job-r2:create')).rejects.toMatchObject({ code: 'REDIRECT_FAILED' });
    expect(await store.get('job-r2:create')).toMatchObject({ state: 'pending', lastSent: 'ambiguous', error: { code: 'REDIRECT_FAILED', terminal: false } });
    const again = await postItem(sureFetch, api.url, 'job-r2:create');
    expect(again.status).toBe(201);
    expect(posts(api)).toBe(1);
    expect(api.items).toHaveLength(1);
  });
});

describe('what callers see of REDIRECT_FAILED', () => {
  /** A 303 to a Location with an api_key; its GET is answered 404 echoing the Authorization and the path. */
  async function echoing(): Promise<HostileServer> {
    return serve((seen, response) => {
      if (seen.method === 'POST') return void response.writeHead(303, { location: '/v1/orders/ord_1?api_key=l0cation-k3y' }).end();
      response.writeHead(404, { 'content-type': 'application/json', 'x-echo': String(seen.headers.authorization) }).end(JSON.stringify({ message: `no ${String(seen.headers.authorization)} at ${seen.path}` }));
    });
  }
  const secretsIn = (value: unknown): string[] => ['t0ken-s3cret', 'l0cation-k3y', 'r3quest-k3y'].filter((s) => inspect(value, { depth: 12 }).includes(s) || JSON.stringify((value as { cause?: unknown }).cause ?? {}).includes(s));

  it('createFetch, forClient, ofetch and ky: REDIRECT_FAILED (ofetch: its FetchError\'s cause), one POST each, no credential anywhere', async () => {
    const server = await echoing();
    const sureFetch = createFetch({ middleware: [retry({ baseDelayMs: 1 })], redirects: { followAsGet: true } });
    const url = `${server.url}/v1/orders?api_key=r3quest-k3y`;
    const headers = { authorization: 'Bearer t0ken-s3cret' };
    const direct = await sureFetch(url, { ...order, headers: { ...order.headers, ...headers } }).catch((e: unknown) => e);
    const client = await forClient(sureFetch)(url, { ...order, headers: { ...order.headers, ...headers } }).catch((e: unknown) => e);
    const viaOfetch = await surefetchOfetch(sureFetch)(url, { method: 'POST', body: { sku: 'A' }, headers }).catch((e: unknown) => e);
    const viaKy = await surefetchKy(sureFetch).post(url, { json: { sku: 'A' }, headers }).catch((e: unknown) => e);
    for (const error of [direct, client, viaKy]) expect(error).toMatchObject({ code: 'REDIRECT_FAILED', sent: 'ambiguous' });
    expect((viaOfetch as Error).cause).toMatchObject({ code: 'REDIRECT_FAILED', sent: 'ambiguous' });
    for (const error of [direct, client, viaOfetch, viaKy]) {
      expect(secretsIn(error)).toEqual([]);
      expect(queueDecisionOf(error).action).toBe('fail');
    }
    expect(posts(server)).toBe(4);
  });

  it('events: one attempt pair, its end sent ambiguous with REDIRECT_FAILED, then give-up', async () => {
    const server = await serve((seen, response) => {
      if (seen.method === 'POST') return void response.writeHead(303, { location: '/a' }).end();
      response.writeHead(503, { 'retry-after': '0' }).end('{}');
    });
    const events: SurefetchEvent[] = [];
    const sureFetch = createFetch({ middleware: [retry({ baseDelayMs: 1 }), rateLimit({ fallbackWaitMs: 5 })], redirects: { followAsGet: true }, onEvent: (event) => events.push(event) });
    await sureFetch(`${server.url}/v1/orders`, order).catch(() => undefined);
    expect(events.map((event) => event.type)).toEqual(['attempt', 'attempt-end', 'give-up']);
    expect(events[1]).toMatchObject({ type: 'attempt-end', sent: 'ambiguous' });
  });
});
