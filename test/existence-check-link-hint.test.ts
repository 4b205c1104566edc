/**
 * A list answer may carry a Link header that has nothing to do with paging (a CDN's or a
 * framework's `rel=preload` hint). The fulfillment recipe's page-number paging took any Link
 * header for the API's own paging signal: a full first page with such a hint ended the list,
 * the create on page 2 was never seen, and the create was sent a second time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { byRoute, createFetch, fulfillmentOrders, idempotency, memoryStore, retry } from '../src/index.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';

let server: HostileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const order = {
  campaignId: 'cmp_1',
  shipTo: { name: 'Ada Buyer', email: 'ada@example.com', address1: '1 Main St', city: 'Springfield', zip: '12345', country: 'US' },
  products: [{ sku: 'SKU-1', quantity: 2 }],
};

describe('a full page of a lookup with a Link header that is no paging', () => {
  it('reads the next page, finds the create there and does not send it again', async () => {
    const yesterday = new Date(Date.now() - 86_400_000).toISOString();
    const stored: Array<Record<string, unknown>> = Array.from({ length: 100 }, (_, index) => ({ ...order, id: `old_${index}`, createdAt: yesterday }));
    server = await startHostileServer((seen, response) => {
      if (seen.method === 'POST') {
        stored.push({ ...(JSON.parse(seen.body) as object), id: 'ord_new', createdAt: new Date().toISOString() });
        // Committed, then the answer is lost to a 500.
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end('{"message":"Internal error"}');
        return;
      }
      const url = new URL(seen.path, 'http://x');
      const pageNumber = Number(url.searchParams.get('page') ?? 1);
      const size = Number(url.searchParams.get('pageSize') ?? 100);
      response.writeHead(200, { 'content-type': 'application/json', link: '</assets/app.css>; rel=preload; as=style' });
      response.end(JSON.stringify(stored.slice((pageNumber - 1) * size, pageNumber * size)));
    });
    const sureFetch = createFetch({
      middleware: [idempotency({ store: memoryStore(), existenceCheck: byRoute(fulfillmentOrders({ settleDelaysMs: [0, 20] })) }), retry({ baseDelayMs: 5 })],
    });
    const response = await sureFetch(`${server.url}/v1/orders/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(order),
      surefetch: { idempotencyScope: 'order-ada-1' },
    });
    expect(response.status).toBe(201);
    expect(((await response.json()) as { id: string }).id).toBe('ord_new');
    expect(server.requests.filter((seen) => seen.method === 'POST')).toHaveLength(1);
    expect(server.requests.some((seen) => seen.method === 'GET' && new URL(seen.path, 'http://x').searchParams.get('page') === '2')).toBe(true);
  });
});
