import { SurefetchError } from '../errors/errors.js';

/**
 * The shared rate limiter could not be reached: its Redis did not become ready within
 * `readyTimeoutMs`, did not answer within `operationTimeoutMs`, or a Redis command failed.
 * Nothing was sent.
 *
 * @example
 * ```ts
 * if (error instanceof RateLimiterUnavailableError) console.error('check Redis:', error.cause);
 * ```
 */
export class RateLimiterUnavailableError extends SurefetchError {
  /** The limiter id (host and credential hash, never the credential). */
  readonly limiterId: string;
  /** Always `not-sent`: the request was not sent. */
  readonly sent = 'not-sent' as const;

  /** @param init - the limiter and what failed; `cause` is the underlying error, if any */
  constructor(init: { limiterId: string; reason: string }, options?: ErrorOptions) {
    super('RATE_LIMITER_UNAVAILABLE', `rate limiter ${init.limiterId} is unavailable: ${init.reason}`, options);
    this.limiterId = init.limiterId;
  }
}
