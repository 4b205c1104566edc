import { IdempotencyError } from '../errors/idempotency-error.js';
import type { CallContext } from '../core/types.js';
import type { RequestRecord } from '../store/record.js';
import type { RequestStore } from '../store/request-store.js';
import { previouslyFailed } from './failure-facts.js';
import type { OwnerHeartbeat } from './owner-heartbeat.js';

/** Options of {@link createOwnerWait}. */
export interface OwnerWaitOptions {
  readonly store: RequestStore;
  /** How long a call waits for the worker holding its scope. */
  readonly waitForOwnerMs: number;
  /** Poll interval. */
  readonly pollMs: number;
  /** Tells a holder that died (its process's liveness mark lapsed) from one still running. */
  readonly heartbeat: Pick<OwnerHeartbeat, 'ownerGone' | 'retryAt'>;
}

/**
 * Waits for the worker that holds a scope, and shares that worker's outcome: the returned
 * function polls until the holder's record settles, its lease passes or its process is gone, and then
 * - throws `PREVIOUSLY_FAILED` (with the run's facts) when the holder released the scope after
 *   giving up, so a crowd of waiters does not start a retry loop each after a failed run;
 * - resolves otherwise (a success to replay, a terminal failure, or a holder that died: the
 *   caller claims again, and the store's compare-and-set lets one waiter take over while the
 *   others wait for it in turn);
 * - throws `IDEMPOTENCY_IN_PROGRESS` when the wait would outlast `waitForOwnerMs`, the call's
 *   `maxWaitMs` or its deadline.
 *
 * @example
 * ```ts
 * const waitForOwner = createOwnerWait({ store, waitForOwnerMs: 5_000, pollMs: 250, heartbeat: ownerHeartbeat(store, 3_000) });
 * await waitForOwner(ctx, existing);
 * ```
 */
export function createOwnerWait(options: OwnerWaitOptions): (ctx: CallContext, held: RequestRecord) => Promise<void> {
  const { store, waitForOwnerMs, pollMs, heartbeat } = options;
  return async function waitForOwner(ctx, held) {
    // The call's one wait bound (maxWaitMs) caps this wait too, like every other layer's.
    const waitMs = Math.min(waitForOwnerMs, ctx.maxWaitMs ?? Number.POSITIVE_INFINITY);
    const giveUpAt = Math.min(ctx.clock.now() + waitMs, ctx.deadline ?? Number.POSITIVE_INFINITY);
    let current: RequestRecord | undefined = held;
    while (current?.state === 'pending' && current.leaseUntil > ctx.clock.now() && !(await heartbeat.ownerGone(current, { signal: ctx.signal }))) {
      const remaining = giveUpAt - ctx.clock.now();
      if (remaining <= 0) {
        throw new IdempotencyError({
          code: 'IDEMPOTENCY_IN_PROGRESS', scope: current.scope, clientRequestId: current.clientRequestId,
          operation: ctx.operation, message: 'another worker is running this call', retryAt: heartbeat.retryAt(current, ctx.clock.now()),
        });
      }
      await ctx.clock.sleep(Math.min(pollMs, remaining), ctx.signal);
      current = await store.get(held.scope, { signal: ctx.signal });
    }
    // The run waited for gave up and said why: that is this call's outcome too.
    if (current?.state === 'pending' && current.owner === held.owner && current.error !== undefined) throw previouslyFailed(current, ctx.operation);
  };
}
