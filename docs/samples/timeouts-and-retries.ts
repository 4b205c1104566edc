/**
 * Code samples of the guide "Timeouts, retries and deadlines" (docs/guides/timeouts-and-retries.md).
 * Type-checked with the project (`npm run typecheck`), not run. What the guide says is tested in
 * test/timing-options.test.ts, test/core.test.ts, test/wait-policy.test.ts, test/hostile-body.test.ts,
 * test/hostile-long-waits.test.ts, test/attempt-dispatcher.test.ts, test/send-events-paths.test.ts,
 * test/classify.test.ts, test/server-wait.test.ts, test/backoff.test.ts, test/attempts-count.test.ts,
 * test/overload.test.ts and test/readme-claims.test.ts.
 */
import {
  AmbiguousOutcomeError,
  AttemptTimeoutError,
  BodyTimeoutError,
  CircuitOpenError,
  DeadlineExceededError,
  HttpError,
  RetryLaterError,
  circuitBreaker,
  createFetch,
  createRetryBudget,
  idempotency,
  rateLimit,
  retry,
  type RouteRule,
  type SurefetchInit,
} from 'surefetch';

declare const baseUrl: string;
declare const queue: { reschedule(at: Date): Promise<void> };
declare function reconcile(clientRequestId: string): Promise<void>;

// #region time-bounds
export const sureFetch = createFetch({
  middleware: [retry(), circuitBreaker()],
  attemptTimeoutMs: 10_000, // one request, from leaving to its answer's headers
  bodyTimeoutMs: 5_000, // each body surefetch reads itself (an error body, a replay copy)
  deadlineMs: 45_000, // the whole call: every attempt, wait and body read
  maxWaitMs: 20_000, // the longest single wait; a longer one is a RetryLaterError at once
});
// #endregion time-bounds

// #region per-call
export async function listOrders(): Promise<unknown> {
  const response = await sureFetch(`${baseUrl}/v1/orders/list`, {
    // Your own read of the body (`response.json()` below) is bounded by your signal alone.
    signal: AbortSignal.timeout(30_000),
    // An interactive call: less time than createFetch's defaults, and no long wait.
    surefetch: { operation: 'list orders', deadlineMs: 8_000, attemptTimeoutMs: 3_000, maxWaitMs: 2_000 },
  });
  return response.json();
}

// A nightly export: its attempts are slow, and it may wait out a long Retry-After.
export const exportInit: SurefetchInit = {
  surefetch: { operation: 'export', attemptTimeoutMs: 120_000, deadlineMs: 15 * 60_000, maxWaitMs: 5 * 60_000 },
};
// #endregion per-call

// #region handle-errors
export async function call(url: string, init?: SurefetchInit): Promise<Response | undefined> {
  try {
    return await sureFetch(url, init);
  } catch (error) {
    // A wait longer than maxWaitMs or the deadline: nothing was slept. Come back at retryAt.
    if (error instanceof RetryLaterError) return void (await queue.reschedule(new Date(error.retryAt)));
    // Not sent: the API's circuit is open until retryAt (retry gave up waiting for it).
    if (error instanceof CircuitOpenError) return void (await queue.reschedule(new Date(error.retryAt)));
    // A write that may have landed and that nothing protects: it was not sent again.
    if (error instanceof AmbiguousOutcomeError) return void (await reconcile(error.clientRequestId));
    // The deadline ran out; `cause` is the last failure (with its own `sent`).
    if (error instanceof DeadlineExceededError) console.warn(`gave up after ${error.attempts} attempt(s)`, error.cause);
    // The last attempt had no answer in time (a request safe to repeat, its attempts or retry budget spent).
    if (error instanceof AttemptTimeoutError) console.warn(`no answer within ${error.timeoutMs} ms; sent: ${error.sent}`);
    // A refusal whose body stalled: the error keeps what arrived.
    if (error instanceof HttpError && error.cause instanceof BodyTimeoutError) console.warn(error.status, error.bodyTruncated, error.body);
    throw error;
  }
}
// #endregion handle-errors

// #region retry-options
// One retry quota for the two chains that call this API.
const budget = createRetryBudget({ capacity: 200 });

export const searchFetch = createFetch({
  middleware: [
    retry({
      maxAttempts: 3, // sends per call, every layer's included
      baseDelayMs: 200, // backoff ceilings 200, 400, 800 ms ... (full jitter below them)
      maxDelayMs: 5_000,
      maxWaits: 2, // server-directed (or open-circuit) waits per call
      fallbackWaitMs: 2_000, // a 429 that says nothing: 2 s, then 4 s
      budget,
      // A search that failed is stale by the time a retry answers: do not retry it.
      shouldRetry: ({ ctx }) => (new URL(ctx.request.url).pathname.startsWith('/v1/search') ? false : undefined),
    }),
  ],
});
export const reportFetch = createFetch({ middleware: [retry({ budget })] });
// #endregion retry-options

// #region routes
const routes: RouteRule[] = [
  // Cancelling twice is harmless on this API: re-send it after a 500 or a timeout like a GET.
  { method: 'POST', path: '/v1/orders/cancel', idempotent: true },
  // A new report is listed before it can be read: its 404 is worth a retry.
  { method: 'GET', path: '/v1/reports/:id', statusVerdicts: { 404: 'transient' } },
  // This gateway answers 503 for "feature switched off": do not retry it.
  { host: 'legacy.example.com', path: '/*', statusVerdicts: { 503: 'terminal' }, operation: 'legacy API' },
];
export const routedFetch = createFetch({ routes, middleware: [retry()] });
// #endregion routes

// #region circuit
// Outermost first: idempotency, retry, circuitBreaker, rateLimit.
export const guardedFetch = createFetch({
  middleware: [
    idempotency(),
    retry({ maxWaits: 10 }), // up to 10 waits per call: for the circuit's probe, or the server's time
    circuitBreaker({ failureThreshold: 5, halfOpenAfterMs: 5_000 }),
    rateLimit(),
  ],
  maxWaitMs: 10_000,
});
// #endregion circuit
