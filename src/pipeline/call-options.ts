import type { RedirectOptions } from './redirect.js';
import type { SurefetchInit } from './create-fetch.js';
import { checkCallTimings } from './timing-options.js';

/**
 * Per-call options, passed as `init.surefetch` — or as a `surefetch` property of a `Request`
 * given as input (openapi-fetch puts its unknown per-call options there), merged under
 * `init.surefetch`. A numeric `init.timeout` (ofetch passes its `timeout` on to fetch) bounds
 * the call like `deadlineMs`: the earliest of all deadlines wins.
 */
export interface CallOptions {
  /** Operation name for events and errors. @default "METHOD /path" */
  readonly operation?: string;
  /** Idempotency scope: a job id plus a step name, an order number. Used by `idempotency`. */
  readonly idempotencyScope?: string;
  /** Client request id to use instead of a generated one. */
  readonly clientRequestId?: string;
  /**
   * Deadline for the whole call, in ms from now; `Infinity` for none. 0 is now: the call rejects
   * with `DeadlineExceededError` and nothing is sent. NaN, a negative number or a non-number
   * rejects with `InvalidRequestError`, as for every timing option here.
   */
  readonly deadlineMs?: number;
  /** Absolute deadline for the whole call (epoch ms); the earlier of the two wins. */
  readonly deadline?: number;
  /** Per-attempt timeout for this call, in ms; `Infinity` or 0 for none (see {@link CreateFetchOptions.attemptTimeoutMs}). */
  readonly attemptTimeoutMs?: number;
  /** Body timeout for this call, in ms; `Infinity` or 0 for none (see {@link CreateFetchOptions.bodyTimeoutMs}). */
  readonly bodyTimeoutMs?: number;
  /** Redirect settings for this call, over those of `createFetch`. */
  readonly redirects?: RedirectOptions;
  /** Longest single in-process wait for this call, in ms (0: none, `Infinity`: no bound); replaces `createFetch`'s `maxWaitMs`. */
  readonly maxWaitMs?: number;
}

const noCallOptions: CallOptions = Object.freeze({});

/**
 * Per-call options from the Request input, `init.surefetch` and a client's `init.timeout`; the
 * earliest deadline wins. Throws an `InvalidRequestError` for a timing option that is not a
 * duration (see `checkCallTimings`). @internal
 */
export function callOptionsOf(input: string | URL | Request, init: SurefetchInit | undefined): CallOptions {
  if (init === undefined && !(input instanceof Request)) return noCallOptions;
  const carried = input instanceof Request ? (input as { surefetch?: CallOptions }).surefetch : undefined;
  const given = init?.surefetch;
  checkCallTimings(carried);
  checkCallTimings(given);
  const timeout = (init as { timeout?: unknown } | undefined)?.timeout;
  const clientTimeoutMs = typeof timeout === 'number' && timeout > 0 && Number.isFinite(timeout) ? timeout : undefined;
  const merged: CallOptions = { ...carried, ...given };
  const bounds = [carried?.deadlineMs, given?.deadlineMs, clientTimeoutMs].filter((ms): ms is number => ms !== undefined);
  return bounds.length === 0 ? merged : { ...merged, deadlineMs: Math.min(...bounds) };
}
