/**
 * ofetch with surefetch as its fetch: `surefetch/ofetch`. Importing this entry also adds
 * `surefetch` to ofetch's per-call options, so `api(url, { surefetch: { idempotencyScope } })`
 * type-checks (ofetch passes its options on to fetch, where surefetch reads them).
 *
 * @example
 * ```ts
 * import { createFetch, retry } from 'surefetch';
 * import { surefetchOfetch } from 'surefetch/ofetch';
 * const api = surefetchOfetch(createFetch({ middleware: [retry()] }), { baseURL });
 * await api('/v1/orders/create', { method: 'POST', body: order, surefetch: { idempotencyScope: 'job-1:order' } });
 * ```
 *
 * @packageDocumentation
 */
import { ofetch, type $Fetch, type FetchOptions, type ResponseType } from 'ofetch';
import { forClient } from './clients/for-client.js';
import type { CallOptions, SureFetch } from './pipeline/create-fetch.js';

declare module 'ofetch' {
  // The type parameters must repeat ofetch's own for the declarations to merge.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars, @typescript-eslint/no-explicit-any
  interface FetchOptions<R extends ResponseType = ResponseType, T = any> {
    /** surefetch's per-call options: idempotency scope, deadline, operation name, ... */
    surefetch?: CallOptions;
  }
}

/**
 * An ofetch instance whose every request runs through `sureFetch` in client mode
 * ({@link forClient}): a final non-2xx answer becomes ofetch's own `FetchError` with the server's
 * body in `data` (surefetch's facts: `factsOf(error)`), ofetch's retry is off (surefetch owns
 * retries; ofetch's would re-send creates and ignore `Retry-After`), and an ofetch `timeout` is
 * the call's deadline for surefetch, so a wait that would outlive it ends at once in a
 * `RetryLaterError` (ofetch's `FetchError` with it as `cause`: `retryAtOf(error)`).
 *
 * @param sureFetch - a fetch made by `createFetch`
 * @param defaults - ofetch defaults (`baseURL`, `headers`, ...); `retry` is forced off
 * @example
 * ```ts
 * const api = surefetchOfetch(sureFetch, { baseURL: 'https://api.example.com', headers: { Authorization } });
 * try {
 *   await api('/v1/orders/create', { method: 'POST', body: order });
 * } catch (error) {
 *   if (error instanceof FetchError && error.status === 400) console.log(error.data); // the server's body
 * }
 * ```
 */
export function surefetchOfetch(sureFetch: SureFetch, defaults: FetchOptions = {}): $Fetch {
  return ofetch.create({ ...defaults, retry: false }, { fetch: forClient(sureFetch) });
}
