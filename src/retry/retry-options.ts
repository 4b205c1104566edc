import type { Classification } from '../verdict/classify.js';
import type { CallContext } from '../core/types.js';
import type { RetryBudget } from './retry-budget.js';

/** What a custom `shouldRetry` is told about a failed attempt. */
export interface RetryDecisionInfo {
  /** The number of the attempt that failed (1-based). */
  readonly attempt: number;
  /** Its verdict, sent state and reason. */
  readonly classification: Classification;
  /** The HTTP status, when the server answered; `undefined` when the attempt threw. */
  readonly status: number | undefined;
  /** The error the attempt threw; `undefined` when the server answered. */
  readonly error: unknown;
  /** The context of the failed attempt. */
  readonly ctx: CallContext;
}

/** Options of {@link retry}. */
export interface RetryOptions {
  /** Most sends per call, the first included, whichever layer sends them (`rateLimit`'s too). @default 4 */
  readonly maxAttempts?: number;
  /** Base of the exponential backoff (full jitter). @default 300 */
  readonly baseDelayMs?: number;
  /** Cap of one backoff delay. @default 20000 */
  readonly maxDelayMs?: number;
  /**
   * Longest single in-process wait of a call — a backoff or a server-directed wait (Retry-After,
   * RateLimit-Reset, ...) — for this layer and every layer inside it (it lowers the call's
   * `maxWaitMs` from `createFetch`). A longer one rejects at once with a `RetryLaterError`
   * carrying `retryAt`.
   * @default the call's maxWaitMs, else 60000
   */
  readonly maxWaitMs?: number;
  /**
   * Most waits per call, server-directed or for an open circuit. The send after a wait counts
   * against `maxAttempts` like any other: a call whose sends are spent gives up at the next wait.
   * @default 5
   */
  readonly maxWaits?: number;
  /** Wait after a 429 that gives no usable time, doubled on each further one. @default 1000 */
  readonly fallbackWaitMs?: number;
  /** Margin added to waits derived from absolute server times (clock skew). @default 1000 */
  readonly skewMarginMs?: number;
  /**
   * The retry quota shared by the calls of each API; `false` for none. Server-directed waits do
   * not draw on it.
   * @default a quota of this `retry` layer's own (see {@link createRetryBudget})
   */
  readonly budget?: RetryBudget | false;
  /**
   * Tri-state override: `true` forces a retry, `false` forbids it, `undefined` uses the
   * defaults. A forced retry still never re-sends a non-idempotent request blind.
   */
  readonly shouldRetry?: (info: RetryDecisionInfo) => boolean | undefined;
}

/** A `retry` layer's settings, its defaults applied. @internal */
export type RetrySettings = Required<Pick<RetryOptions, 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs' | 'maxWaits' | 'fallbackWaitMs' | 'skewMarginMs'>> &
  Pick<RetryOptions, 'shouldRetry'> & { readonly budget: RetryBudget | undefined };
