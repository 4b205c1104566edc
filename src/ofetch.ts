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
import { scrubbedOfetch } from './clients/scrubbed-ofetch.js';
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
 * `RetryLaterError` (ofetch's `FetchError` with it as `cause`: `retryAtOf(error)`). A refused
 * answer whose body stalls past the call's `bodyTimeoutMs` is a `FetchError` with its status, no
 * `data`, and surefetch's `BodyTimeoutError` as `cause`.
 *
 * The `FetchError`s it throws (from the instance, `.raw` and every instance `.create` makes)
 * carry none of the request's credentials (see `requestSecrets`: secret headers such as
 * `Authorization`, credential query parameters such as `api_key`, JSON or form fields such as
 * `password`; found in the request as ofetch describes it and, for an answer, in the request
 * surefetch sent, so the body of a `Request` and a `URLSearchParams` form count too), even where
 * the server echoes them: they are removed from the `message` and `stack`, the request URL,
 * `options` (headers, body, `baseURL`; `query` and `params`, whose credential-named entries go by
 * name, sent or not), the response's headers and URL, and the server's body in `data`. `data` is
 * walked as parsed data: plain objects, arrays, a `Map` or `Set` (copied), at most 1 Mi
 * characters of text (the rest cut, marked `[truncated]`); an object of another class (one a
 * custom `parseResponse` built) becomes `'[redacted]'`, as surefetch can neither see into it nor
 * copy it; a `Blob` or `ArrayBuffer` is redacted as text (`'[redacted]'` past 1 MiB). ofetch's
 * error cannot be edited, so this is a new `FetchError` with the
 * same `name`, `status`, `statusText` and `cause` (the very object); `factsOf(error)` still
 * works. An error that is not ofetch's (one a hook throws) passes through as it is. Your ofetch
 * hooks (`onResponseError`, ...) run before the error exists and see ofetch's context as it is.
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
  return scrubbedOfetch(ofetch.create({ ...defaults, retry: false }, { fetch: forClient(sureFetch) }));
}
