import { byRoute, createFetch, fulfillmentOrders, idempotency, memoryStore, retry } from '../../src/index.js';

/**
 * Sends one order create to `baseUrl` the way the existence-check tests against hostile servers
 * do: idempotency with the fulfillment recipe (two quick settle reads), retry with short backoff,
 * a fresh scope, the given client request id. Resolves with the answer or the error it rejects with.
 */
export function checkedCreate(baseUrl: string, body: unknown, clientRequestId: string): Promise<unknown> {
  const sureFetch = createFetch({
    middleware: [idempotency({ store: memoryStore(), existenceCheck: byRoute(fulfillmentOrders({ settleDelaysMs: [0, 20] })) }), retry({ baseDelayMs: 5 })],
  });
  return sureFetch(`${baseUrl}/v1/orders/create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    surefetch: { idempotencyScope: `order-${Math.random()}`, clientRequestId },
  }).catch((caught: unknown) => caught);
}
