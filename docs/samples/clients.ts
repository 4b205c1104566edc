/**
 * Code samples of the guide "Wrapping fetch clients" (docs/guides/clients.md). Type-checked
 * with the project (`npm run typecheck`), not run; the runnable versions are in examples/.
 */
import ky from 'ky';
import { ofetch } from 'ofetch';
import { Agent, fetch as undiciFetch } from 'undici';
import { createFetch, factsOf, forClient, retry, retryAtOf } from 'surefetch';
import { surefetchKy } from 'surefetch/ky';
import { surefetchOfetch } from 'surefetch/ofetch';

declare const baseUrl: string;
declare const order: { orderNumber: string };

export async function samples(): Promise<void> {
  // #region one-chain
  const sureFetch = createFetch({ middleware: [retry()] });
  // Called directly: a refused request rejects with surefetch's HttpError.
  await sureFetch(`${baseUrl}/v1/orders/list`);
  // Handed to a client: the same chain, answers returned for the client to judge.
  const api = ky.create({ prefixUrl: baseUrl, fetch: forClient(sureFetch), retry: 0, timeout: false });
  // #endregion one-chain

  // #region by-hand
  // Without the helpers, by hand: client mode, the client's retry off, its timeout off.
  const viaOfetch = ofetch.create({ baseURL: baseUrl, retry: false }, { fetch: forClient(sureFetch) });
  const viaKy = ky.create({ prefixUrl: baseUrl, fetch: forClient(sureFetch), retry: 0, timeout: false });
  // #endregion by-hand

  // #region per-call
  // ofetch and ky: `surefetch` on their own options (typed once surefetch/ofetch or surefetch/ky is imported).
  const ofetchClient = surefetchOfetch(sureFetch, { baseURL: baseUrl });
  await ofetchClient('/v1/orders/create', { method: 'POST', body: order, surefetch: { idempotencyScope: `order:${order.orderNumber}` } });
  const kyClient = surefetchKy(sureFetch, { prefixUrl: baseUrl });
  await kyClient.post('v1/orders/create', { json: order, surefetch: { idempotencyScope: `order:${order.orderNumber}` } });
  // #endregion per-call

  // #region timeout
  // ky: a timeout you set is the call's deadline; a wait that would outlive it is a RetryLaterError at once.
  const bounded = surefetchKy(sureFetch, { prefixUrl: baseUrl, timeout: 15_000 });
  // Or leave the client's timeout off and give the deadline per call:
  await kyClient.get('v1/orders/list', { surefetch: { deadlineMs: 15_000 } });
  // #endregion timeout

  // #region facts
  try {
    await kyClient.post('v1/orders/create', { json: order });
  } catch (error) {
    const facts = factsOf(error); // from ky's HTTPError, ofetch's FetchError, axios's error...
    if (facts?.sent === 'ambiguous') console.log('may have landed; reconcile', facts.clientRequestId);
    const retryAt = retryAtOf(error); // a RetryLaterError wrapped by the client, or a 429's time
    if (retryAt !== undefined) console.log('come back at', new Date(retryAt));
  }
  // #endregion facts

  // #region undici
  const dispatcher = new Agent({ connections: 10 });
  const viaUndici = createFetch({ fetch: undiciFetch, middleware: [retry()] });
  await viaUndici(`${baseUrl}/v1/orders/list`, { dispatcher });
  // #endregion undici

  void [api, viaOfetch, viaKy, bounded];
}
