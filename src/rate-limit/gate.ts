import { RetryLaterError } from '../errors/errors.js';
import { eventOf } from '../core/event-of.js';
import type { CallContext } from '../core/types.js';
import { refuseLongWait, waitBoundMs, waitBoundReason } from '../verdict/wait-policy.js';
import type { AcquireRequest, AcquireResult, Turn } from './budget.js';
import type { BudgetStore } from './budget-store.js';
import { anySignal } from '../core/signals.js';

export { longWaitReason, refuseLongWait } from '../verdict/wait-policy.js';

/** How a send waits for its turn. */
export interface GateOptions {
  /** Longest wait taken in-process for this call; a longer one rejects with a `RetryLaterError`. */
  readonly maxWaitMs: number;
  /** How long a probe may stay unanswered before another send probes. */
  readonly probeLeaseMs: number;
  /** Spacing of the probes that verify a hold longer than a caller can wait. */
  readonly probeIntervalMs: number;
  /** How often a send waiting for a probe's answer looks again. */
  readonly pollMs: number;
}

/** Where a send stands: the parts of {@link AcquireRequest} that depend on the request. */
export type GateRequest = Pick<AcquireRequest, 'scopes' | 'endpoint' | 'softPartitions'>;

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
  ctx.emit(eventOf(ctx, { type: 'wait', delayMs, retryAt, source }));
  await ctx.clock.sleep(delayMs, ctx.signal);
}

/**
 * Waits until the budget lets this send go — past the holds it can wait out, behind its
 * endpoint's probe of a new window, or as the probe verifying a hold longer than it can wait —
 * and counts it (with `count: false`, only waits). A confirmed hold longer than the call can
 * wait, or a wait for a probe's answer beyond `maxWaitMs`, rejects with a
 * {@link RetryLaterError}.
 *
 * @example
 * ```ts
 * const turn = await takeTurn(store, ctx, { scopes: [''], endpoint, softPartitions: false }, gateOptions);
 * ```
 */
export async function takeTurn(store: BudgetStore, ctx: CallContext, request: GateRequest, options: GateOptions, count = true, first?: FirstLook): Promise<Turn> {
  const started = first?.at ?? ctx.clock.now();
  let waitedUntil = 0;
  let looked = first;
  for (;;) {
    ctx.signal.throwIfAborted();
    const now = looked?.at ?? ctx.clock.now();
    const maxHoldMs = waitBoundMs(ctx, now, options.maxWaitMs);
    const { probeLeaseMs, probeIntervalMs } = options;
    const { scopes, endpoint, softPartitions } = request;
    const result = looked?.result ?? (await store.acquire(now, { scopes, endpoint, softPartitions, maxHoldMs, probeLeaseMs, probeIntervalMs, count }));
    looked = undefined;
    if (result.go) return result.turn;
    if (result.reason === 'confirmed') refuseLongWait(ctx, result.until, now, options.maxWaitMs);
    if (result.reason !== 'probe') {
      // A timer may fire a little early: sleep the rest of the same wait without announcing it again.
      if (result.until === waitedUntil) await ctx.clock.sleep(Math.max(1, result.until - now), ctx.signal);
      else await waitUntil(ctx, result.until, result.source, options.maxWaitMs);
      waitedUntil = result.until;
      continue;
    }
    // The probe's answer comes at no known time: look again shortly, within the call's bound.
    const waitedMs = now - started;
    if (waitedMs >= waitBoundMs(ctx, started, options.maxWaitMs)) {
      const retryAt = now + probeIntervalMs;
      const reason = `${waitBoundReason(ctx, started, options.maxWaitMs)} (waiting for a probe's answer)`;
      // Not the server's wait: earlier sends (a probe, or slow start), not answered yet, hold this one back.
      const wait = `waited ${waitedMs} ms`;
      throw new RetryLaterError({ retryAt, delayMs: probeIntervalMs, reason, operation: ctx.operation, wait });
    }
    await pollOrSettle(store, ctx, Math.max(1, Math.min(options.pollMs, result.until - now)));
  }
}

/** What a send's first, synchronous look at the budget said, and when (see {@link turnNow}). */
export interface FirstLook {
  readonly at: number;
  readonly result: AcquireResult;
}

/**
 * The first look of {@link takeTurn}, made at once where the store can (the budget is in this
 * process): most sends get their turn here, with no await. `undefined` where the store cannot;
 * a look that did not give the turn is handed to `takeTurn` (as `first`) to go on from.
 *
 * @example
 * ```ts
 * const look = turnNow(store, ctx, request, gateOptions);
 * const turn = look?.result.go === true ? look.result.turn : await takeTurn(store, ctx, request, gateOptions, true, look);
 * ```
 */
export function turnNow(store: BudgetStore, ctx: CallContext, request: GateRequest, options: GateOptions): FirstLook | undefined {
  if (store.acquireNow === undefined || ctx.signal.aborted) return undefined;
  const at = ctx.clock.now();
  const { probeLeaseMs, probeIntervalMs } = options;
  const { scopes, endpoint, softPartitions } = request;
  const maxHoldMs = waitBoundMs(ctx, at, options.maxWaitMs);
  return { at, result: store.acquireNow(at, { scopes, endpoint, softPartitions, maxHoldMs, probeLeaseMs, probeIntervalMs, count: true }) };
}

// Ends a poll's sleep early; a reason of its own spares building a DOMException each time.
const POLL_CUT = Object.freeze({ pollCut: true });

// Sleeps one poll interval, cut short by the next settle where the store can tell.
async function pollOrSettle(store: BudgetStore, ctx: CallContext, pollMs: number): Promise<void> {
  const settled = store.nextSettle?.();
  if (settled === undefined) {
    await ctx.clock.sleep(pollMs, ctx.signal);
    return;
  }
  const stop = new AbortController();
  const poll = ctx.clock.sleep(pollMs, anySignal(ctx.signal, stop.signal)).catch((error: unknown) => {
    if (ctx.signal.aborted) throw error;
  });
  await Promise.race([settled, poll]);
  stop.abort(POLL_CUT);
  ctx.signal.throwIfAborted();
}
