/**
 * ky with surefetch as its fetch: `surefetch/ky`. Importing this entry also adds `surefetch` to
 * ky's options, so `api.post(url, { surefetch: { idempotencyScope } })` type-checks (ky passes
 * options it does not know on to fetch, where surefetch reads them).
 *
 * @example
 * ```ts
 * import { createFetch, retry } from 'surefetch';
 * import { surefetchKy } from 'surefetch/ky';
 * const api = surefetchKy(createFetch({ middleware: [retry()] }), { prefixUrl });
 * await api.post('v1/orders/create', { json: order, surefetch: { idempotencyScope: 'job-1:order' } });
 * ```
 *
 * @packageDocumentation
 */
import ky, { type BeforeRequestHook, type KyInstance, type Options } from 'ky';
import { forClient } from './clients/for-client.js';
import { scrubHttpError } from './clients/ky-error.js';
import type { CallOptions, SureFetch } from './pipeline/create-fetch.js';

declare module 'ky' {
  interface Options {
    /** surefetch's per-call options: idempotency scope, deadline, operation name, ... */
    surefetch?: CallOptions;
  }
}

/**
 * A ky instance whose every request runs through `sureFetch` in client mode ({@link forClient}):
 * a final non-2xx answer becomes ky's own `HTTPError` (its `response` holds the server's body;
 * surefetch's facts: `factsOf(error)`), ky's retry is off (surefetch owns retries), and ky's
 * timeout is off unless you set one — ky's default of 10 s would cut through surefetch's waits.
 * A `timeout` you set is the call's deadline for surefetch, so a wait that would outlive it ends
 * at once in a `RetryLaterError` (`retryAtOf(error)`) instead of ky's `TimeoutError`.
 *
 * Its `HTTPError` carries none of the request's credentials (see `requestSecrets`: secret headers
 * such as `Authorization`, credential query parameters such as `api_key`, JSON or form fields such
 * as `password`; found in the request as ky describes it and in the request surefetch sent, so the
 * body of a `Request` input counts too), even where the server echoes them: a `beforeError` hook,
 * first of all, replaces ky's error with a new `HTTPError` whose `message`, `stack`, `request`
 * (URL, headers, body), `options` (`headers`, `body`, `json`, `prefixUrl`, `searchParams` with its
 * credential-named entries by name, ...) and `response` (headers, URL, body) are redacted, so
 * your `beforeError` hooks see that one. The server's body is read for
 * it, up to 1 MiB and within the call's `surefetch.bodyTimeoutMs` (10 s when unset): a body that
 * stalls is cut there, so the error still arrives. Status, `name`, `cause` and `factsOf(error)`
 * are kept. A call or `.extend` with `hooks: { beforeError: undefined }` removes every earlier
 * hook in ky, this one too; ky's own `TimeoutError`, if a `timeout` fires in ky first, is not an
 * `HTTPError` and keeps ky's message with the URL.
 *
 * @param sureFetch - a fetch made by `createFetch`
 * @param options - ky options (`prefixUrl`, `headers`, `hooks`, ...); `retry` is forced to 0
 * @example
 * ```ts
 * const api = surefetchKy(sureFetch, { prefixUrl: 'https://api.example.com', headers: { Authorization } });
 * try {
 *   await api.post('v1/orders/create', { json: order });
 * } catch (error) {
 *   if (error instanceof HTTPError && error.response.status === 400) console.log(await error.response.json());
 * }
 * ```
 */
export function surefetchKy(sureFetch: SureFetch, options: Options = {}): KyInstance {
  return ky.create({
    timeout: false,
    ...options,
    retry: 0,
    fetch: forClient(sureFetch),
    hooks: {
      ...options.hooks,
      beforeRequest: [keepRetryOff, carryTimeout, ...(options.hooks?.beforeRequest ?? [])],
      // First, so that your hooks see the error without the request's secrets.
      beforeError: [scrubHttpError, ...(options.hooks?.beforeError ?? [])],
    },
  });
}

/**
 * A call or `.extend` may set `retry` again: ky would then re-send what surefetch already
 * retried (the sends multiply) and re-send a create surefetch declared ambiguous. ky reads the
 * limit from the call's own retry options when a send fails, so setting it to 0 here keeps it off.
 */
const keepRetryOff: BeforeRequestHook = (_request, options) => {
  const retry = (options as { retry?: { limit?: number } }).retry;
  if (retry !== undefined && retry.limit !== 0 && !Object.isFrozen(retry)) retry.limit = 0;
};

/** ky keeps its timeout to itself; hand it to surefetch on the request ky passes to fetch. */
const carryTimeout: BeforeRequestHook = (request, options) => {
  // ky's NormalizedOptions type omits `timeout`, but the object it passes to hooks carries it.
  const timeout = (options as { timeout?: unknown }).timeout;
  if (typeof timeout !== 'number') return;
  const carrier = request as Request & { surefetch?: CallOptions };
  const deadlineMs = Math.min(timeout, carrier.surefetch?.deadlineMs ?? Number.POSITIVE_INFINITY);
  carrier.surefetch = { ...carrier.surefetch, deadlineMs };
};
