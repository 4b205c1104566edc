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
import { StoreUnavailableError, type StoreOperation } from './store-unavailable-error.js';

// The operations of the stores this library makes, which bound themselves (operationTimeoutMs).
// Functions, not stores: a spread copy or a Proxy of a built-in store calls the same functions,
// and keeps their own bound; a method replaced by the caller's own is guarded.
const selfBounded = new WeakSet<object>();
const OPERATIONS = ['claim', 'get', 'update', 'delete', 'markAlive', 'isAlive'] as const;

/**
 * Marks the operations of a store that bounds each of them itself, so {@link guardStore} calls
 * them as they are (one timer per operation, not two). @internal
 */
export function boundedByItself<T extends RequestStore>(store: T): T {
  for (const name of OPERATIONS) {
    const operation = store[name];
    if (typeof operation === 'function') selfBounded.add(operation);
  }
  return store;
}

/**
 * `store` itself when it bounds its operations (the built-in stores); otherwise a store whose
 * every operation rejects with a `StoreUnavailableError` when the store does not answer within
 * `timeoutMs` (`Infinity`: no bound) or fails with an error of its own (kept as the `cause`), and
 * with the reason of the caller's signal as soon as it aborts, whether or not the store listens.
 * An operation that timed out may still complete in the store later, as with any backend. @internal
 */
export function guardStore(store: RequestStore, timeoutMs: number): RequestStore {
  const own = (operation: unknown): boolean => typeof operation === 'function' && !selfBounded.has(operation);
  if (!OPERATIONS.some((name) => own(store[name]))) return store;
  // The name a built-in store gives is kept only when it also answers its claims itself.
  const named = own(store.claim) ? undefined : (store as { backend?: unknown }).backend;
  const ctx: BackendContext = {
    backend: typeof named === 'string' && named !== '' ? named : 'custom',
    target: undefined,
    secrets: [],
    timeoutMs,
    timeoutOption: 'storeTimeoutMs',
    clock: systemClock,
  };
  // A built-in operation goes as it is; one of the caller's own is bounded, and what it throws
  // is read the same whether it throws, rejects or answers with a plain value.
  const call = <T>(operation: StoreOperation, method: unknown, options: StoreCallOptions | undefined, run: () => Promise<T>): Promise<T> => {
    if (!own(method)) return run();
    const attempt = (): Promise<T> => {
      try {
        return Promise.resolve(run()).catch((error: unknown) => Promise.reject(withoutUrlCredentials(error)));
      } catch (error) {
        return Promise.reject(withoutUrlCredentials(error));
      }
    };
    return callBackend(ctx, operation, attempt, options?.signal);
  };
  const { markAlive, isAlive } = store;
  return {
    claim: (record, ttlMs, options) => call('claim', store.claim, options, () => store.claim(record, ttlMs, options)),
    get: (scope, options) => call('get', store.get, options, () => store.get(scope, options)),
    update: (next, expectedVersion, ttlMs, options) => call('update', store.update, options, () => store.update(next, expectedVersion, ttlMs, options)),
    delete: (scope, options) => call('delete', store.delete, options, () => store.delete(scope, options)),
    // Liveness marks stay optional: a store without them keeps its claims until their lease passes.
    ...(typeof markAlive !== 'function' ? {} : { markAlive: (owner: string, ttlMs: number, options?: StoreCallOptions) => call('markAlive', markAlive, options, () => markAlive.call(store, owner, ttlMs, options)) }),
    ...(typeof isAlive !== 'function' ? {} : { isAlive: (owner: string, options?: StoreCallOptions) => call('isAlive', isAlive, options, () => isAlive.call(store, owner, options)) }),
    close: () => store.close(),
  };
}

// `scheme://user:password@` in a text: the password of a backend the store talks to. Bounded and
// anchored so that a long message costs linear time; a password already masked (`***`) is left.
const URL_PASSWORD = /(?<![a-z\d+.-])([a-z][a-z\d+.-]{0,31}:\/\/[^\s/@:]{0,256}:)(?!\*{3}@)[^\s/]{1,1024}(?=@[^\s@]*(?:[\s/?#]|$))@/gi;

function hasUrlPassword(text: string): boolean {
  URL_PASSWORD.lastIndex = 0;
  return URL_PASSWORD.test(text);
}

// Every text of an error a reader may print: its message and stack, its causes', an AggregateError's errors'.
function texts(error: unknown, depth = 0): string[] {
  if (!(error instanceof Error) || depth > 4) return error === undefined || error instanceof Error ? [] : [String(error)];
  const inner = error instanceof AggregateError ? (error.errors as unknown[]).slice(0, 8) : [];
  return [error.message, error.stack ?? '', ...texts(error.cause, depth + 1), ...inner.flatMap((each) => texts(each, depth + 1))];
}

/**
 * The store's own error, or a plain one with the first message it has, masked, when any text of
 * it (message, stack, cause, an AggregateError's errors) names a URL with a password (a store over
 * an HTTP service or a database it reached by URL): a `StoreUnavailableError` never carries a
 * credential, neither in its message nor its cause. One that already is a `StoreUnavailableError`
 * (a built-in store's, through a wrapper) has been masked by its store and passes as it is.
 */
function withoutUrlCredentials(error: unknown): unknown {
  if (error instanceof StoreUnavailableError) return error;
  const all = texts(error);
  if (!all.some(hasUrlPassword)) return error;
  const message = all.find((text) => text !== '') ?? 'the store failed';
  const plain = new Error(message.replace(URL_PASSWORD, '$1***@'));
  if (error instanceof Error) plain.name = error.name;
  return plain;
}
