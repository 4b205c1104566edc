import { SurefetchError } from './errors.js';

/**
 * A response body the library was reading (an error body for an `HttpError`, a success body
 * for idempotency's replay copy, a refused answer's body in client mode) did not finish arriving
 * within the body timeout or before the call's deadline. The body was cancelled, which closes its
 * connection. It is the `cause` of an `HttpError` whose `body` holds what arrived in time; in
 * client mode (`forClient`), the error of the client's read of the answer's body.
 *
 * @example
 * ```ts
 * if (error instanceof HttpError && error.cause instanceof BodyTimeoutError) console.log('the error body stalled');
 * ```
 */
export class BodyTimeoutError extends SurefetchError {
  /** The bound that fired, in ms: `bodyTimeoutMs`, or what was left until the deadline. */
  readonly timeoutMs: number;

  /** @param init - the bound and the operation */
  constructor(init: { timeoutMs: number; operation: string }, options?: ErrorOptions) {
    super('BODY_TIMEOUT', `${init.operation}: the response body did not arrive within ${Math.round(init.timeoutMs)} ms`, options);
    this.timeoutMs = init.timeoutMs;
  }
}
