import type { CallContext } from '../core/types.js';
import type { StoreCallOptions } from '../store/request-store.js';
import { beforeDeadline } from '../verdict/deadline-bound.js';

/**
 * A store operation a call waits for before its send (the claim, a read of the record, a
 * liveness mark or read), given the caller's signal as ever and ended by the call's deadline
 * too: the store's own bound (`operationTimeoutMs`, `storeTimeoutMs`) is no licence to run past
 * it. Cut short, it rejects with a `DeadlineExceededError`; a deadline passed already lets
 * nothing reach the store (see {@link beforeDeadline}).
 *
 * @example
 * ```ts
 * const claim = await storeWait(ctx, (options) => store.claim(record, ttlMs, options));
 * ```
 */
export function storeWait<T>(ctx: CallContext, run: (options: StoreCallOptions) => Promise<T>): Promise<T> {
  return beforeDeadline(ctx, (signal) => run({ signal }), { signal: ctx.signal });
}
