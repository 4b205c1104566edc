import type { $Fetch, CreateFetchOptions, FetchOptions, FetchRequest } from 'ofetch';
import { asFetchError, scrubFetchError } from './ofetch-error.js';

/**
 * An ofetch instance that throws `FetchError`s without the request's secrets (see
 * `scrubFetchError`): the instance itself, `.raw`, and every instance `.create` derives from it.
 * A refused answer whose body surefetch cut (it stalled) becomes the `FetchError` ofetch would
 * have built for it, with surefetch's `BodyTimeoutError` as `cause` (see `asFetchError`).
 * The instance is wrapped rather than given an `onResponseError` hook because a call's own hooks
 * replace the instance's in ofetch (`{ ...defaults, ...options }`), and no hook sees the error
 * ofetch builds after them. `.native` is the plain fetch, which throws surefetch's own (clean)
 * errors and no `FetchError`. ofetch's own retry stays off for every call and every derived
 * instance, whatever `retry` they set. @internal
 *
 * @example
 * ```ts
 * const api = scrubbedOfetch(ofetch.create({ baseURL }, { fetch: forClient(sureFetch) }));
 * ```
 */
export function scrubbedOfetch(inner: $Fetch): $Fetch {
  async function surefetchOfetchCall(request: FetchRequest, options?: FetchOptions): Promise<unknown> {
    try {
      return await inner(request, retryOff(options) as FetchOptions<'json'>);
    } catch (error) {
      throw await scrubFetchError(asFetchError(error));
    }
  }
  async function surefetchOfetchRaw(request: FetchRequest, options?: FetchOptions): Promise<unknown> {
    try {
      return await inner.raw(request, retryOff(options) as FetchOptions<'json'>);
    } catch (error) {
      throw await scrubFetchError(asFetchError(error));
    }
  }
  const create = (defaults: FetchOptions, globalOptions?: CreateFetchOptions): $Fetch =>
    scrubbedOfetch(inner.create({ ...defaults, retry: false }, globalOptions));
  return Object.assign(surefetchOfetchCall, { raw: surefetchOfetchRaw, native: inner.native, create }) as unknown as $Fetch;
}

// A call's own `retry` would re-send what surefetch already retried, and a create it declared
// ambiguous: surefetch owns retries, whatever a call or `create` asks of ofetch.
function retryOff(options: FetchOptions | undefined): FetchOptions {
  return options === undefined ? { retry: false } : { ...options, retry: false };
}
