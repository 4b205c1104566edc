import { SurefetchError } from '../errors/errors.js';

/** A store operation, as named in a {@link StoreUnavailableError}. */
export type StoreOperation = 'claim' | 'get' | 'update' | 'delete' | 'markAlive' | 'isAlive' | 'close';

/** The fields of a {@link StoreUnavailableError}. */
export interface StoreUnavailableInit {
  /** Backend name: `memory`, `redis`, `postgres`. */
  readonly backend: string;
  /** The operation that failed. */
  readonly operation: StoreOperation;
  /** Where the backend lives, with any password replaced by `***`. */
  readonly target?: string;
  /** Why, for people: a timeout, a refused connection, a closed store. */
  readonly reason: string;
}

/**
 * A request store could not be reached (refused, timed out, closed) or failed while doing an
 * operation. The idempotency layer fails closed on it: without the store it cannot know whether
 * an earlier run already sent the request. Never carries a credential from the store's URL.
 *
 * @example
 * ```ts
 * try {
 *   await store.claim(record, ttlMs);
 * } catch (error) {
 *   if (isStoreUnavailableError(error)) console.error(error.backend, error.operation, error.message);
 * }
 * ```
 */
export class StoreUnavailableError extends SurefetchError {
  /** Backend name: `memory`, `redis`, `postgres`. */
  readonly backend: string;
  /** The operation that failed. */
  readonly operation: StoreOperation;
  /** Where the backend lives, password redacted; `undefined` for in-process stores. */
  readonly target: string | undefined;

  /**
   * @param init - backend, operation, redacted target and reason
   * @param options - standard `ErrorOptions` (`cause`, already free of credentials)
   */
  constructor(init: StoreUnavailableInit, options?: ErrorOptions) {
    const where = init.target === undefined ? '' : ` at ${init.target}`;
    super('STORE_UNAVAILABLE', `surefetch: the ${init.backend} request store${where} could not ${init.operation}: ${init.reason}`, options);
    this.backend = init.backend;
    this.operation = init.operation;
    this.target = init.target;
  }
}

/**
 * Tells whether a value is a {@link StoreUnavailableError}.
 *
 * @example
 * ```ts
 * if (isStoreUnavailableError(error)) await job.moveToDelayed(Date.now() + 30_000);
 * ```
 */
export function isStoreUnavailableError(value: unknown): value is StoreUnavailableError {
  return value instanceof StoreUnavailableError;
}
