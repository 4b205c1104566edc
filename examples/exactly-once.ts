/**
 * The full pipeline for creates: a request record per job step, the pre-retry existence check
 * for the API's creates, retries, a circuit breaker and a shared rate limit. The API commits
 * the first order and then answers 500; the order is found instead of created twice, and a
 * re-run of the same job step replays the stored result without a request.
 */
import { byRoute, circuitBreaker, createFetch, fulfillmentOrders, idempotency, memoryStore, rateLimit, retry } from 'surefetch';
import { startFulfillment } from '../test/emulator/fulfillment.js';

export async function main(): Promise<void> {
  const api = await startFulfillment();
  // memoryStore() survives only this process; use redisStore (surefetch/redis) or
  // postgresStore (surefetch/postgres) when a re-run may land in another process.
  const store = memoryStore();
  const limit = rateLimit();
  const sureFetch = createFetch({
    middleware: [idempotency({ store, existenceCheck: byRoute(fulfillmentOrders()) }), retry(), circuitBreaker(), limit],
  });
  const createOrder = (jobId: string): Promise<Response> =>
    sureFetch(`${api.url}/v1/orders/create`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${api.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        campaignId: 'spring',
        shipTo: { name: 'Ada', email: 'ada@example.com', address1: '1 Main St', city: 'Springfield', zip: '12345', country: 'US' },
        products: [{ sku: 'SKU-1', quantity: 1 }],
      }),
      surefetch: { idempotencyScope: `${jobId}:create-order` },
    });
  try {
    api.faults.script('POST /v1/orders/create', { kind: 'commit-then-500' });
    const first = (await (await createOrder('job-42')).json()) as { id: string };
    const rerun = (await (await createOrder('job-42')).json()) as { id: string };
    console.log('created', first.id, '| re-run got', rerun.id, '| orders on the server:', api.records.orders.length);
    if (api.records.orders.length !== 1 || rerun.id !== first.id) throw new Error('expected exactly one order');
  } finally {
    await limit.close();
    await store.close();
    await api.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
