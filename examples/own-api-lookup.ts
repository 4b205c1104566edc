/**
 * An existence check for an API whose list differs from the recipes': answers in an envelope
 * (`{ data, meta, next }`), stores what it is sent normalized (emails lower-cased, strings
 * trimmed, numbers as strings, defaults added) and serves at most 50 per page. The first create
 * commits and then answers 500; the check finds the normalized order and returns it instead of
 * creating a second one.
 */
import { bodyPaging, byRoute, comparators, createFetch, idempotency, lookupExistence, retry } from 'surefetch';
import { startFulfillment } from '../test/emulator/fulfillment.js';

interface Order {
  campaignId: string;
  shipTo: { email: string; name: string };
  createdAt: string;
}

const orders = lookupExistence({
  lookupUrl: ({ url, body }) => {
    const sent = body as Order;
    return new URL(`list?${new URLSearchParams({ campaignId: sent.campaignId, email: sent.shipTo.email, pageSize: '100' }).toString()}`, url);
  },
  // Anything but `{ data: [...] }` proves nothing: undefined makes the check fail closed.
  candidates: (body) => (Array.isArray((body as { data?: unknown }).data) ? (body as { data: unknown[] }).data : undefined),
  paging: bodyPaging((body) => (body as { next?: string | null }).next),
  requiredFields: ['id', 'campaignId', 'shipTo.email', 'createdAt'],
  identifies: (found, { body }) =>
    comparators.text((body as Order).campaignId, (found as Order).campaignId) &&
    comparators.email((body as Order).shipTo.email, (found as Order).shipTo.email),
  createdAt: (found) => Date.parse((found as Order).createdAt),
  settleDelaysMs: [0, 150, 300],
});

export async function main(): Promise<void> {
  const api = await startFulfillment({ storage: 'normalized', listShape: 'envelope', maxPageSize: 50 });
  const sureFetch = createFetch({
    middleware: [idempotency({ existenceCheck: byRoute({ method: 'POST', path: '/v1/orders/create', check: orders }) }), retry({ baseDelayMs: 50 })],
  });
  try {
    api.faults.script('POST /v1/orders/create', { kind: 'commit-then-500' });
    const response = await sureFetch(`${api.url}/v1/orders/create`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${api.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        campaignId: 'spring',
        shipTo: { name: ' Zoe\u0308 Ada ', email: 'Ada@Example.com', address1: '1 Main St', city: 'Springfield', zip: '12345', country: 'US' },
        products: [{ sku: 'SKU-1', quantity: 2 }],
      }),
      surefetch: { idempotencyScope: 'job-1:create-order' },
    });
    const order = (await response.json()) as { id: string; shipTo: { email: string } };
    const stored = api.records.orders.length;
    console.log(`recovered ${order.id} (stored as ${order.shipTo.email}) | orders on the server: ${stored}`);
    if (stored !== 1) throw new Error(`expected exactly one order, found ${stored}`);
  } finally {
    await api.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
