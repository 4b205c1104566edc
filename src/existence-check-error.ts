import { SurefetchError } from './errors.js';

/**
 * The existence check could not decide whether an earlier attempt of a create landed (the
 * lookup failed, answered garbage, or found more than one candidate). Nothing was re-sent:
 * reconcile by `clientRequestId` before trying again.
 *
 * @example
 * ```ts
 * if (error instanceof ExistenceCheckError) await parkForReview(error.clientRequestId);
 * ```
 */
export class ExistenceCheckError extends SurefetchError {
  /** The client request id of the call. */
  readonly clientRequestId: string;
  /** Why the check could not decide. */
  readonly reason: string;

  /** @param init - the call and why the check could not decide; `cause` is the lookup's error */
  constructor(init: { operation: string; clientRequestId: string; reason: string }, options?: ErrorOptions) {
    super(
      'EXISTENCE_CHECK_FAILED',
      `${init.operation}: could not tell whether an earlier attempt landed (${init.reason}); not re-sent. Client request id: ${init.clientRequestId}`,
      options,
    );
    this.clientRequestId = init.clientRequestId;
    this.reason = init.reason;
  }
}
