import type { Clock } from './clock.js';
import type { SurefetchEvent } from './events.js';
import type { RedirectPolicy } from './redirect-options.js';
import type { SendTally } from './send-tally.js';

/**
 * A function with the signature of the global `fetch`. Any fetch works: Node's global fetch,
 * undici's, a browser's, or another library's wrapped fetch. surefetch calls it with the URL as
 * a string and a `RequestInit` it builds (`method`, `headers`, `body`, `signal`, `duplex`, and
 * the pass-through options such as undici's `dispatcher`).
 *
 * @example
 * ```ts
 * import { fetch as undiciFetch } from 'undici';
 * const sureFetch = createFetch({ fetch: undiciFetch });
 * ```
 */
// The init is `any` on purpose: undici's own fetch types its init with undici's classes, which
// differ from the global ones (a newer undici than Node's bundled types), and must be accepted.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type FetchFunction = (input: string | URL, init?: any) => Promise<Response>;

/**
 * The outcome class of one attempt.
 *
 * - `success`: a 2xx answer.
 * - `terminal`: retrying cannot help (400, 401, 403, 404, 409, 422, a caller abort).
 * - `wait`: the server said "not processed, come back at T" (429, 503 with Retry-After,
 *   a GitHub-style 403 with remaining 0). Safe to re-send for any method after the wait.
 * - `transient`: may succeed if tried again (408, 500, 502, 503, 504, network errors,
 *   per-attempt timeouts), if the request is safe to re-send.
 */
export type Verdict = 'success' | 'terminal' | 'wait' | 'transient';

/**
 * Whether the server may have applied the request.
 *
 * - `not-sent`: the request never reached the server (connection refused, DNS failure,
 *   connect timeout). Re-sending is always safe.
 * - `ambiguous`: the server may have applied it (a reset or timeout after the request was
 *   written, 500/502/504). A non-idempotent request must not be re-sent blind.
 * - `delivered`: the server answered with a definitive outcome (2xx, 4xx, a 429 that says
 *   "not processed").
 */
export type SentState = 'not-sent' | 'ambiguous' | 'delivered';

/** The request of one call, with its body buffered when it can be replayed. */
export interface RequestSpec {
  /** Absolute URL. */
  readonly url: string;
  /** Upper-case HTTP method. */
  readonly method: string;
  /** Request headers. Treat as read-only: derive a new `Headers` to change them. */
  readonly headers: Headers;
  /**
   * The body: bytes that can be sent any number of times, a one-shot stream, or `null`.
   */
  readonly body: Uint8Array | ReadableStream<Uint8Array> | null;
  /** `false` when the body is a one-shot stream that cannot be sent a second time. */
  readonly replayable: boolean;
  /** Other `fetch` options passed through unchanged (`redirect`, `credentials`, undici's `dispatcher`, ...). */
  readonly options: Readonly<RequestInit>;
}

/** What one earlier attempt of the same call ended in, as seen by the retry layer. */
export interface AttemptOutcome {
  /** The attempt number (1-based). */
  readonly attempt: number;
  /** Its verdict. */
  readonly verdict: Verdict;
  /** Its sent state. */
  readonly sent: SentState;
  /** The HTTP status, when the server answered. */
  readonly status?: number;
  /** The error the attempt ended in (an `HttpError`, a network or timeout error). */
  readonly error?: unknown;
}

/**
 * What a resend guard decided before a non-idempotent request is sent again after an
 * ambiguous attempt: send it again (the earlier attempt did not land, or a key protects it),
 * or use a recovered response (the earlier attempt did land).
 */
export type ResendDecision =
  | {
      /** Send the request again. */
      readonly action: 'resend';
      /**
       * `true` when a lookup proved that the earlier attempt did not land; absent when a
       * re-send is safe for another reason (an idempotency key). Only a proven absence lets a
       * call that gives up say `NotAppliedError`.
       */
      readonly absent?: boolean;
      /**
       * Called with a non-2xx answer to the re-send: may turn it into the call's result, e.g. a
       * 409 DUPLICATE means the earlier attempt landed, so the existing record is fetched and
       * returned. Returns `undefined` to keep the answer as it is.
       */
      readonly reconcile?: (response: Response, ctx: CallContext) => Promise<Response | undefined>;
    }
  | {
      /** Do not send again: the earlier attempt landed. */
      readonly action: 'recovered';
      /** The recovered resource, returned as the call's result. */
      readonly response: Response;
    };

/**
 * Decides whether a non-idempotent request may be sent again after an ambiguous attempt.
 * Written into the context by the idempotency layer; read by `retry`. It must fail closed:
 * throw when it cannot decide.
 */
export type ResendGuard = (ctx: CallContext, previous: AttemptOutcome, intent?: GuardIntent) => Promise<ResendDecision>;

/**
 * Why a {@link ResendGuard} is consulted: `resend` before sending again (the default), `final`
 * when the call is about to give up (out of attempts, past its deadline) after an ambiguous
 * attempt, to tell the caller whether the request landed. A `final` consultation sends nothing.
 */
export type GuardIntent = 'resend' | 'final';

/**
 * The immutable per-call context that flows through the middleware chain. A middleware
 * passes a *derived* copy down (`next({ ...ctx, field })`); each field has one writer.
 */
export interface CallContext {
  /** The request. Written by `createFetch`; an idempotency layer may add headers. */
  readonly request: RequestSpec;
  /** A name for the operation, e.g. `"POST /v1/orders/create"` or a user-given name. */
  readonly operation: string;
  /** The caller's signal (and the call deadline). Aborting it stops every wait and send. */
  readonly signal: AbortSignal;
  /** Absolute deadline for the whole call on `clock.now()`'s scale, if any. */
  readonly deadline: number | undefined;
  /**
   * Longest single in-process wait for this call (a backoff, a server-directed wait, a
   * rate-limit hold or queue, a breaker's probe); a longer one rejects with `RetryLaterError`.
   * `undefined`: each layer's default. Written by `createFetch`; `retry({ maxWaitMs })` may
   * lower it for the layers inside it.
   */
  readonly maxWaitMs: number | undefined;
  /** Attempt number, 1-based. Written by `retry`. */
  readonly attempt: number;
  /** The outcome of the previous attempt of this call, if any. Written by `retry`. */
  readonly previous: AttemptOutcome | undefined;
  /** A client request id for this logical call; stable across attempts. */
  readonly clientRequestId: string;
  /** The idempotency scope the caller gave (a job id plus step name, an order number). */
  readonly idempotencyScope: string | undefined;
  /** Whether the request is safe to send more than once (method, route rule or idempotency key). */
  readonly idempotent: boolean;
  /** Route rule that matched this request, if any. */
  readonly route: RouteRule | undefined;
  /** Per-attempt timeout for the send, in ms; `undefined` for none. Written by `createFetch`. */
  readonly attemptTimeoutMs: number | undefined;
  /**
   * Longest time the library spends reading one response body (an error body, a replay copy),
   * in ms, further bounded by `deadline`; `undefined` for none. Written by `createFetch`.
   */
  readonly bodyTimeoutMs: number | undefined;
  /** How redirects are followed within an attempt. Written by `createFetch`. */
  readonly redirects: RedirectPolicy;
  /** Whether a final non-2xx answer rejects with an `HttpError` (else it is returned). */
  readonly throwHttpErrors: boolean;
  /** Guard consulted before a non-idempotent re-send after an ambiguous attempt. */
  readonly resendGuard: ResendGuard | undefined;
  /** Time source. */
  readonly clock: Clock;
  /** Random number source in [0, 1). */
  readonly random: () => number;
  /** Emits a structured event (secrets already redacted by the emitter). */
  readonly emit: (event: SurefetchEvent) => void;
  /**
   * The sends of this call across every layer (see {@link SendTally}): counted by the terminal
   * send, bounded by `retry`'s `maxAttempts`, consulted by every layer before it sends again.
   * Written by `createFetch` (by `retry` when absent); an existence check's lookups get their own.
   */
  readonly sends?: SendTally;
  /**
   * `lookup` for the reads an existence check sends through the chain (they are marked so in
   * events); absent for the caller's own requests. Written by the idempotency layer.
   */
  readonly purpose?: 'lookup';
}

/** Calls the rest of the chain with a (possibly derived) context. */
export type Next = (ctx: CallContext) => Promise<Response>;

/**
 * A middleware: receives the context and the rest of the chain, and may call `next` any number
 * of times (retry does). The first middleware given to `createFetch` is the outermost.
 */
export type Middleware = (ctx: CallContext, next: Next) => Promise<Response>;

/**
 * A per-route rule: which requests it matches, and how their outcomes are treated.
 *
 * @example
 * ```ts
 * const cancelIsSafe: RouteRule = { method: 'POST', path: '/v1/orders/cancel', idempotent: true };
 * ```
 */
export interface RouteRule {
  /** HTTP method to match, or `*` for any. @default '*' */
  readonly method?: string;
  /**
   * Path pattern: literal segments, `:name` for one segment, a trailing `*` for the rest.
   * Matched against the URL's pathname.
   */
  readonly path: string;
  /** Host to match (e.g. `api.example.com`); any host when absent. */
  readonly host?: string;
  /** Overrides whether the request is safe to send more than once. */
  readonly idempotent?: boolean;
  /** Overrides the verdict for given statuses, e.g. `{ 409: 'transient' }`. */
  readonly statusVerdicts?: Readonly<Record<number, Verdict>>;
  /** Operation name to report in events and errors. */
  readonly operation?: string;
}
