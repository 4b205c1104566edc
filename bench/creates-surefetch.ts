/** The surefetch clients of the creates benchmark, configured as a user would for this API. */
import { byRoute, createFetch, fulfillmentOrders, idempotency, retry, type FulfillmentRecipeOptions } from 'surefetch';
import { attemptTimeoutMs, type CreateClient } from './creates-peers.js';

/**
 * A create through surefetch: a request record per logical create, the order recipe (with
 * `recipe` options: the defaults, `writeReference` or `soleWriter`), retries. A fresh pipeline
 * (and memory store) per run.
 */
export function surefetchCreate(recipe: FulfillmentRecipeOptions = {}): CreateClient {
  const sureFetch = createFetch({
    middleware: [idempotency({ existenceCheck: byRoute(fulfillmentOrders(recipe)) }), retry()],
    attemptTimeoutMs,
  });
  return async (url, headers, body, scope) => {
    const response = await sureFetch(url, { method: 'POST', headers, body, surefetch: { idempotencyScope: scope } });
    return response.json();
  };
}
