import type { SureFetch } from '../pipeline/create-fetch.js';

import { clientModeFetch } from '../core/call-facts.js';

/** A `SureFetch` that may carry its client-mode twin. @internal */
export type WithClientMode = SureFetch & { readonly [clientModeFetch]?: SureFetch };

/**
 * The fetch to hand to another client (ofetch, ky, openapi-fetch, axios's fetch adapter): the
 * same chain, store, limiter and breaker as `sureFetch`, but a final non-2xx answer is
 * **returned** to the client instead of rejected with an `HttpError`, so the client builds its
 * own error from it (ofetch's `FetchError` with `data`, ky's `HTTPError`, openapi-fetch's
 * `{ error }`, axios's error with `response.data`) with the server's body and field details.
 * Every answer it returns carries surefetch's facts (verdict, sent state, attempts, client
 * request id, `retryAt`): read them with {@link factsOf}.
 *
 * The client reads a refused answer's body at once to build its error, so surefetch reads it
 * first (a final answer of 400 or more), within the call's `bodyTimeoutMs` and deadline, and
 * returns a copy with the same status, headers, URL and bytes. A body that stalls past that
 * bound gives what arrived, then fails the client's read with a `BodyTimeoutError` (its
 * connection closed): `surefetchOfetch` rejects with ofetch's `FetchError` holding it as `cause`
 * (axios's error holds it too), `surefetchKy` with ky's `HTTPError` holding what arrived,
 * openapi-fetch and an ofetch set up by hand with the `BodyTimeoutError` itself; `factsOf` reads
 * the facts from each. A body
 * past 1 MiB is handed on as it arrives, within the same bound. The caller's abort during that
 * read rejects the call with its reason. Success bodies (and 3xx) are returned unread, for the
 * caller to read at its own pace; with no bound (`bodyTimeoutMs` 0, no deadline) refused ones
 * are too.
 *
 * Decisions that are not an answer still reject with surefetch's typed errors (`RetryLaterError`,
 * `AmbiguousOutcomeError`, `IdempotencyError`, ...), which the client passes on or wraps;
 * {@link retryAtOf} sees through the wrapping.
 *
 * @example
 * ```ts
 * const sureFetch = createFetch({ middleware: [retry()] });
 * const api = createClient<paths>({ baseUrl, fetch: forClient(sureFetch) }); // openapi-fetch
 * const { error } = await api.POST('/v1/orders/create', { body }); // the server's 400 body
 * ```
 */
export function forClient(sureFetch: SureFetch): SureFetch {
  const twin = (sureFetch as WithClientMode)[clientModeFetch];
  if (twin === undefined) throw new TypeError('forClient expects a fetch made by createFetch');
  return twin;
}
