/**
 * A `RequestStore` of the caller's own, held to the contract the built-in stores keep by
 * themselves: every operation answers within a bound, gives way at once to the caller's abort,
 * and fails with a `StoreUnavailableError`. A store over another backend (DynamoDB, a
 * company's own service) that ignores its signal and never answers would otherwise hang the call,
 * and one that rejects with its own error would leave the caller to guess what failed.
 */
import { systemClock } from '../core/clock.js';
import { callBackend, type BackendContext } from './backend-call.js';
import type { RequestStore, StoreCallOptions } from './request-store.js';
import type { StoreOperation } from './store-unavailable-error.js';

// The stores this library makes bound every operation themselves (operationTimeoutMs).
const selfBounded = new WeakSet<RequestStore>();

/**
 * Marks a store that bounds each of its operations itself, so {@link guardStore} leaves it as it
 * is (one timer per operation, not two). @internal
 */
export function boundedByItself<T extends RequestStore>(store: T): T {
  selfBounded.add(store);
  return store;
}

/**
 * Throws a `TypeError` (not a number) or a `RangeError` (NaN, negative) when `storeTimeoutMs`
 * is not a duration. @internal
 */
export function checkStoreTimeout(value: unknown): void {
  if (value === undefined || (typeof value === 'number' && value >= 0)) return;
  const shown = typeof value === 'number' ? String(value) : `a value of type ${value === null ? 'null' : typeof value}`;
  const message = `idempotency: storeTimeoutMs must be a number of milliseconds, 0 or more (Infinity for no limit); got ${shown}`;
  throw typeof value === 'number' ? new RangeError(message) : new TypeError(message);
}

/**
 * `store` itself when it bounds its operations (the built-in stores); otherwise a store whose
 * every operation rejects with a `StoreUnavailableError` when the store does not answer within
 * `timeoutMs` (`Infinity`: no bound) or fails with an error of its own (kept as the `cause`), and
 * with the reason of the caller's signal as soon as it aborts, whether or not the store listens.
 * An operation that timed out may still complete in the store later, as with any backend. @internal
 */
export function guardStore(store: RequestStore, timeoutMs: number): RequestStore {
  if (selfBounded.has(store)) return store;
  const named = (store as { backend?: unknown }).backend;
  const ctx: BackendContext = {
    backend: typeof named === 'string' && named !== '' ? named : 'custom',
    target: undefined,
    secrets: [],
    timeoutMs,
    timeoutOption: 'storeTimeoutMs',
    clock: systemClock,
  };
  const bounded = <T>(operation: StoreOperation, options: StoreCallOptions | undefined, run: () => Promise<T>): Promise<T> =>
    callBackend(
      ctx,
      operation,
      () => {
        // A store that throws instead of rejecting, or answers with a plain value, is read the same way.
        try {
          return Promise.resolve(run());
        } catch (error) {
          return Promise.reject(error);
        }
      },
      options?.signal,
    );
  const { markAlive, isAlive } = store;
  return {
    claim: (record, ttlMs, options) => bounded('claim', options, () => store.claim(record, ttlMs, options)),
    get: (scope, options) => bounded('get', options, () => store.get(scope, options)),
    update: (next, expectedVersion, ttlMs, options) => bounded('update', options, () => store.update(next, expectedVersion, ttlMs, options)),
    delete: (scope, options) => bounded('delete', options, () => store.delete(scope, options)),
    // Liveness marks stay optional: a store without them keeps its claims until their lease passes.
    ...(markAlive === undefined ? {} : { markAlive: (owner: string, ttlMs: number, options?: StoreCallOptions) => bounded('markAlive', options, () => markAlive.call(store, owner, ttlMs, options)) }),
    ...(isAlive === undefined ? {} : { isAlive: (owner: string, options?: StoreCallOptions) => bounded('isAlive', options, () => isAlive.call(store, owner, options)) }),
    close: () => store.close(),
  };
}
