import { SurefetchError } from './errors.js';
import type { RecordedFailure } from './recorded-failure.js';

/** Why the idempotency layer refused a call. */
export type IdempotencyErrorCode =
  /** The scope was already used for a different request (method, URL or body differ). */
  | 'IDEMPOTENCY_CONFLICT'
  /** Another worker holds a live claim on the scope; come back at `retryAt`. */
  | 'IDEMPOTENCY_IN_PROGRESS'
  /**
   * An earlier run of the scope ended in a terminal failure (`previous.terminal`; `store.delete(scope)`
   * to try again), or the run this call waited for gave up on a transient one (a later re-run may try again).
   */
  | 'PREVIOUSLY_FAILED'
  /** An earlier run succeeded but its response was not stored for replay (too large, or its body stalled). */
  | 'REPLAY_UNAVAILABLE'
  /** Another worker took the claim over (this call outlived its lease); nothing more was sent. */
  | 'LEASE_LOST'
  /** A non-idempotent call came without an `idempotencyScope` and `requireScope` is on; nothing was sent. */
  | 'SCOPE_REQUIRED'
  /**
   * The store holds a value at the scope's key that is not a surefetch request record (another
   * program writes to the same keys, or the record was edited); nothing was sent by this call,
   * but an earlier run's create may have been. Give surefetch a namespace of its own, and delete
   * the key only once you know whether that create landed (look for `clientRequestId` at the API).
   */
  | 'RECORD_UNREADABLE';

/** The fields of an {@link IdempotencyError}. */
export interface IdempotencyErrorInit {
  /** Why the call was refused. */
  readonly code: IdempotencyErrorCode;
  /** The scope the call was made under. */
  readonly scope: string;
  /** The client request id stored for the scope. */
  readonly clientRequestId: string;
  /** The operation name. */
  readonly operation: string;
  /** What the record said; the error's `message` adds the operation, scope and client request id. */
  readonly message: string;
  /** When to come back (epoch ms), for `IDEMPOTENCY_IN_PROGRESS`. */
  readonly retryAt?: number;
  /** The stored failure, for `PREVIOUSLY_FAILED`: status, code, the server's message and field details. */
  readonly previous?: RecordedFailure;
}

/**
 * The idempotency layer refused a call because of what the request record of its scope says.
 * Nothing was sent for this call.
 *
 * @example
 * ```ts
 * try {
 *   await sureFetch(url, { method: 'POST', body, surefetch: { idempotencyScope: `${job.id}:create-order` } });
 * } catch (error) {
 *   if (error instanceof IdempotencyError && error.retryAt !== undefined) await job.moveToDelayed(error.retryAt);
 * }
 * ```
 */
export class IdempotencyError extends SurefetchError {
  declare readonly code: IdempotencyErrorCode;
  /** The scope the call was made under. */
  readonly scope: string;
  /** The client request id stored for the scope. */
  readonly clientRequestId: string;
  /** The operation name. */
  readonly operation: string;
  /** When to come back (epoch ms), for `IDEMPOTENCY_IN_PROGRESS`. */
  readonly retryAt: number | undefined;
  /** The stored failure, for `PREVIOUSLY_FAILED`. */
  readonly previous: IdempotencyErrorInit['previous'];

  /** @param init - code, scope, ids and what the record said */
  constructor(init: IdempotencyErrorInit, options?: ErrorOptions) {
    super(init.code, `${init.operation} (scope "${init.scope}"): ${init.message}. Client request id: ${init.clientRequestId}`, options);
    this.scope = init.scope;
    this.clientRequestId = init.clientRequestId;
    this.operation = init.operation;
    this.retryAt = init.retryAt;
    this.previous = init.previous;
  }
}
