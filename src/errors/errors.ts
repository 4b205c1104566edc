import type { SentState } from '../core/types.js';

/**
 * The base class of every error surefetch decides. `code` is stable and machine-readable;
 * `message` is for people. No error ever carries an Authorization header or an API key.
 *
 * @example
 * ```ts
 * try {
 *   await sureFetch(url);
 * } catch (error) {
 *   if (error instanceof SurefetchError) console.error(error.code, error.message);
 * }
 * ```
 */
export class SurefetchError extends Error {
  /** Stable, machine-readable error code, e.g. `AMBIGUOUS_OUTCOME`. */
  readonly code: string;

  /**
   * @param code - stable machine-readable code
   * @param message - human-readable message
   * @param options - standard `ErrorOptions` (`cause`)
   */
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * Tells whether a value is an error surefetch decided.
 *
 * @example
 * ```ts
 * if (isSurefetchError(error)) console.log(error.code);
 * ```
 */
export function isSurefetchError(value: unknown): value is SurefetchError {
  return value instanceof SurefetchError;
}

/**
 * A non-idempotent request (a create) failed in a way that leaves it unknown whether the server
 * applied it, and nothing protects a re-send (no idempotency key, no existence check). It was
 * not re-sent. Use `clientRequestId` to reconcile.
 *
 * @example
 * ```ts
 * if (error instanceof AmbiguousOutcomeError) await queueReconciliation(error.clientRequestId);
 * ```
 */
export class AmbiguousOutcomeError extends SurefetchError {
  /** The client request id of the call. */
  readonly clientRequestId: string;
  /** How many attempts were sent. */
  readonly attempts: number;
  /** The operation name. */
  readonly operation: string;
  /** HTTP status of the last attempt, when the server answered. */
  readonly status: number | undefined;

  /** @param init - what is known about the call; `cause` is the last attempt's error */
  constructor(
    init: { clientRequestId: string; attempts: number; operation: string; status?: number; reason: string },
    options?: ErrorOptions,
  ) {
    super(
      'AMBIGUOUS_OUTCOME',
      `${init.operation} may or may not have been applied (${init.reason}); it was not re-sent because nothing protects a re-send. Client request id: ${init.clientRequestId}`,
      options,
    );
    this.clientRequestId = init.clientRequestId;
    this.attempts = init.attempts;
    this.operation = init.operation;
    this.status = init.status;
  }
}

/**
 * A wait longer than the call may take (`maxWaitMs`, the call's deadline or a job's budget):
 * one the server asked for (`Retry-After`, a rate limit's reset), or one of surefetch's own
 * (retry's backoff, the rate limiter's queue, the answer of a probe, a create that timed out and
 * may still land: its scope's re-run looks for it before sending). Nothing was slept: hand
 * `retryAt` to your queue to reschedule the job.
 *
 * @example
 * ```ts
 * if (error instanceof RetryLaterError) await job.moveToDelayed(error.retryAt);
 * ```
 */
export class RetryLaterError extends SurefetchError {
  /** Epoch ms at which to come back: the server's time, or when the wait not taken would end. */
  readonly retryAt: number;
  /** How long that is from when the error was raised, in ms. */
  readonly delayMs: number;
  /** Why the wait was not taken, e.g. `"exceeds maxWaitMs 30000"`. */
  readonly reason: string;
  /** The operation whose wait it was: the call's, or an existence check's lookup (`existence check for …`). */
  readonly operation: string;

  /**
   * @param init - when to come back, why the wait was not taken, and (`wait`, for the message)
   * what the wait was, when it was not the server's: e.g. `"retry's backoff of 5000 ms"`, `"waited 300 ms"`
   */
  constructor(init: { retryAt: number; delayMs: number; reason: string; operation: string; wait?: string }, options?: ErrorOptions) {
    const wait = init.wait ?? `the server asked to wait ${Math.ceil(init.delayMs)} ms`;
    super('RETRY_LATER', `${init.operation}: ${wait}, which ${init.reason}; retry at ${Number.isFinite(init.retryAt) ? new Date(init.retryAt).toISOString() : 'a time nobody knows'}`, options);
    this.retryAt = init.retryAt;
    this.delayMs = init.delayMs;
    this.reason = init.reason;
    this.operation = init.operation;
  }
}

/**
 * The request failed below HTTP: connection refused, DNS failure, reset, socket closed.
 * `sent` says whether the server may have seen it; `causeCode` is the system code (`ECONNREFUSED`).
 *
 * @example
 * ```ts
 * if (error instanceof NetworkError && error.sent === 'not-sent') console.log('safe to re-send');
 * ```
 */
export class NetworkError extends SurefetchError {
  /** Whether the server may have seen the request. */
  readonly sent: SentState;
  /** The system or undici error code found in the cause chain, if any. */
  readonly causeCode: string | undefined;
  /** How many attempts were made (set when the call gives up). */
  readonly attempts: number;

  /** @param init - what failed */
  constructor(init: { sent: SentState; causeCode?: string; message: string; attempts?: number }, options?: ErrorOptions) {
    super('NETWORK_ERROR', init.message, options);
    this.sent = init.sent;
    this.causeCode = init.causeCode;
    this.attempts = init.attempts ?? 1;
  }
}

/**
 * One attempt took longer than its per-attempt timeout. The request was written, so the
 * outcome is ambiguous.
 *
 * @example
 * ```ts
 * if (error instanceof AttemptTimeoutError) console.log(`gave up after ${error.timeoutMs} ms`);
 * ```
 */
export class AttemptTimeoutError extends SurefetchError {
  /** The per-attempt timeout that fired. */
  readonly timeoutMs: number;
  /** The call's operation (an existence check's lookup has its own, `existence check for …`). */
  readonly operation: string;
  /** Always `ambiguous`: the request may have been applied. */
  readonly sent: SentState = 'ambiguous';
  /** How many attempts were made (set when the call gives up). */
  readonly attempts: number;
  /**
   * When the attempt's request went out, on the call's clock (epoch ms), when known: the API
   * may still act on it later (see `LookupOptions.requestLifetimeMs`).
   */
  readonly sentAt: number | undefined;

  /** @param init - the timeout, attempt count and send time */
  constructor(init: { timeoutMs: number; operation: string; attempts?: number; sentAt?: number }, options?: ErrorOptions) {
    super('ATTEMPT_TIMEOUT', `${init.operation}: no answer within ${init.timeoutMs} ms`, options);
    this.timeoutMs = init.timeoutMs;
    this.operation = init.operation;
    this.attempts = init.attempts ?? 1;
    this.sentAt = init.sentAt;
  }
}

/**
 * The call's deadline passed before it could succeed.
 *
 * @example
 * ```ts
 * if (error instanceof DeadlineExceededError) console.log(error.cause);
 * ```
 */
export class DeadlineExceededError extends SurefetchError {
  /** How many attempts were made. */
  readonly attempts: number;

  /** @param init - the attempt count; `cause` is the last attempt's error, if any */
  constructor(init: { operation: string; attempts: number }, options?: ErrorOptions) {
    super('DEADLINE_EXCEEDED', `${init.operation}: the call's deadline passed after ${init.attempts} attempt(s)`, options);
    this.attempts = init.attempts;
  }
}

/**
 * The request body is a one-shot stream, so the request could not be sent again after a
 * failure that would otherwise have been retried. Pass a string, bytes or a `Blob` to make it
 * replayable.
 *
 * @example
 * ```ts
 * if (error instanceof BodyNotReplayableError) console.log(error.cause); // the first failure
 * ```
 */
export class BodyNotReplayableError extends SurefetchError {
  /** @param operation - the operation name; `cause` is the failure that would have been retried */
  constructor(operation: string, options?: ErrorOptions) {
    super('BODY_NOT_REPLAYABLE', `${operation}: not retried because its body is a one-shot stream`, options);
  }
}

/**
 * The circuit breaker of this API is open: recent attempts failed in a row, so this attempt was
 * not sent. `retryAt` is when the breaker lets a probe through; `retry` waits until then
 * (bounded by `maxWaitMs` and the deadline) instead of sending.
 *
 * @example
 * ```ts
 * if (error instanceof CircuitOpenError) console.log('API down; next probe at', new Date(error.retryAt));
 * ```
 */
export class CircuitOpenError extends SurefetchError {
  /** When the breaker lets the next probe through (epoch ms). */
  readonly retryAt: number;
  /** Always `not-sent`. */
  readonly sent: SentState = 'not-sent';
  /** The API the breaker guards (host and a hash of the credential). */
  readonly api: string;

  /** @param init - the breaker's API and next probe time */
  constructor(init: { api: string; retryAt: number; operation: string }, options?: ErrorOptions) {
    super('CIRCUIT_OPEN', `${init.operation}: not sent, the circuit for ${init.api} is open until ${new Date(init.retryAt).toISOString()}`, options);
    this.retryAt = init.retryAt;
    this.api = init.api;
  }
}
