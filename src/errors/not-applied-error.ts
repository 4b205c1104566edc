import { SurefetchError } from './errors.js';

/**
 * A create whose last attempt was ambiguous (a 500, a timeout, a reset) ran out of attempts or
 * time, and the existence check then proved it did not land: nothing was applied, so it is
 * safe to try again (with the same idempotency scope, a re-run reuses the client request id).
 * `cause` is the last attempt's error.
 *
 * @example
 * ```ts
 * if (error instanceof NotAppliedError) await queue.retryLater(job); // nothing to reconcile
 * ```
 */
export class NotAppliedError extends SurefetchError {
  /** The client request id of the call. */
  readonly clientRequestId: string;
  /** How many attempts were sent. */
  readonly attempts: number;

  /** @param init - the call; `cause` is the last attempt's error */
  constructor(init: { operation: string; clientRequestId: string; attempts: number; reason: string }, options?: ErrorOptions) {
    super(
      'NOT_APPLIED',
      `${init.operation} did not land (${init.reason}; the existence check found no trace of it): safe to try again. Client request id: ${init.clientRequestId}`,
      options,
    );
    this.clientRequestId = init.clientRequestId;
    this.attempts = init.attempts;
  }
}
