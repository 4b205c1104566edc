/** The surefetch client of the creates benchmark, configured as a user would for this API. */
import { byRoute, createFetch, fulfillmentOrders, idempotency, retry } from 'surefetch';
import { attemptTimeoutMs, type CreateClient } from './creates-peers.js';

/** A create through surefetch: a request record per logical create, the order recipe, retries. */
export function surefetchCreate(): CreateClient {
  const sureFetch = createFetch({
    middleware: [idempotency({ existenceCheck: byRoute(fulfillmentOrders()) }), retry()],
    attemptTimeoutMs,
  });
  return async (url, headers, body, scope) => {
    const response = await sureFetch(url, { method: 'POST', headers, body, surefetch: { idempotencyScope: scope } });
    return response.json();
  };
}
