import { RetryLaterError } from '../errors.js';
import { eventBase } from '../events.js';
import type { CallContext } from '../types.js';
import type { BudgetStore } from './budget-store.js';

/** How a send waits for its turn. */
export interface GateOptions {
  /** Longest wait taken in-process; a longer one rejects with a `RetryLaterError`. */
  readonly maxWaitMs: number;
  /** How long a probe may stay unanswered before another send probes. */
  readonly probeLeaseMs: number;
  /** How often a send waiting for the probe's answer looks again. */
  readonly pollMs: number;
}

/** A send's permission, to hand back to `store.settle`. */
export interface Turn {
  /** The send is the probe of a new window. */
  readonly probe: boolean;
  /** The window generation it was counted in. */
  readonly epoch: number;
}

/**
 * Why waiting until `retryAt` is not allowed (it exceeds `maxWaitMs` or passes the call's
 * deadline), or `undefined` when it is.
 *
 * @example
 * ```ts
 * longWaitReason(ctx, pauseUntil, ctx.clock.now(), 60_000); // 'exceeds maxWaitMs 60000'
 * ```
 */
export function longWaitReason(ctx: CallContext, retryAt: number, now: number, maxWaitMs: number): string | undefined {
  if (retryAt - now > maxWaitMs) return `exceeds maxWaitMs ${maxWaitMs}`;
  if (ctx.deadline !== undefined && retryAt >= ctx.deadline) return 'passes the call deadline';
  return undefined;
}

/**
 * Throws a {@link RetryLaterError} when waiting until `retryAt` is not allowed.
 *
 * @example
 * ```ts
 * refuseLongWait(ctx, pauseUntil, ctx.clock.now(), 60_000);
 * ```
 */
export function refuseLongWait(ctx: CallContext, retryAt: number, now: number, maxWaitMs: number): void {
  const reason = longWaitReason(ctx, retryAt, now, maxWaitMs);
  if (reason === undefined) return;
  throw new RetryLaterError({ retryAt, delayMs: Math.max(0, retryAt - now), reason, operation: ctx.operation });
}

/**
 * Sleeps out a pause (or an exhausted budget) announced with a `wait` event, after checking it
 * against `maxWaitMs` and the deadline.
 *
 * @example
 * ```ts
 * await waitUntil(ctx, pauseUntil, 'retry-after', 60_000);
 * ```
 */
export async function waitUntil(ctx: CallContext, retryAt: number, source: string, maxWaitMs: number): Promise<void> {
  const now = ctx.clock.now();
  refuseLongWait(ctx, retryAt, now, maxWaitMs);
  const delayMs = Math.max(0, retryAt - now);
  ctx.emit({ ...eventBase(ctx), type: 'wait', delayMs, retryAt, source });
  await ctx.clock.sleep(delayMs, ctx.signal);
}

/**
 * Waits until the budget lets this send go: past any pause, past the reset of an exhausted
 * window, and behind the probe of a new window. Counts the send when it returns.
 *
 * @example
 * ```ts
 * const turn = await takeTurn(store, ctx, { maxWaitMs: 60_000, probeLeaseMs: 5000, pollMs: 10 });
 * ```
 */
export async function takeTurn(store: BudgetStore, ctx: CallContext, options: GateOptions): Promise<Turn> {
  for (;;) {
    ctx.signal.throwIfAborted();
    const now = ctx.clock.now();
    const result = await store.acquire(now, options.probeLeaseMs);
    if (result.go) return { probe: result.probe, epoch: result.epoch };
    if (result.reason !== 'probe') {
      await waitUntil(ctx, result.until, result.source, options.maxWaitMs);
      continue;
    }
    // The probe's answer comes at no known time: look again shortly, within the deadline.
    if (ctx.deadline !== undefined && now >= ctx.deadline) refuseLongWait(ctx, result.until, now, options.maxWaitMs);
    await pollOrSettle(store, ctx, Math.max(1, Math.min(options.pollMs, result.until - now)));
  }
}

// Sleeps one poll interval, cut short by the next settle where the store can tell.
async function pollOrSettle(store: BudgetStore, ctx: CallContext, pollMs: number): Promise<void> {
  const settled = store.nextSettle?.();
  if (settled === undefined) {
    await ctx.clock.sleep(pollMs, ctx.signal);
    return;
  }
  const stop = new AbortController();
  const poll = ctx.clock.sleep(pollMs, AbortSignal.any([ctx.signal, stop.signal])).catch((error: unknown) => {
    if (ctx.signal.aborted) throw error;
  });
  await Promise.race([settled, poll]);
  stop.abort();
  ctx.signal.throwIfAborted();
}
