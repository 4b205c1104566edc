import { RetryLaterError } from '../errors/errors.js';
import type { CallContext } from '../core/types.js';

/** The longest in-process wait a layer takes when neither the call nor the layer sets one. */
export const DEFAULT_MAX_WAIT_MS = 60_000;

/**
 * The longest in-process wait a layer may take for this call: the call's `maxWaitMs` (set on
 * `createFetch` or per call, or handed down by an outer `retry({ maxWaitMs })`), else the
 * layer's own default; a `maxWaitMs` given to the layer itself can only lower it.
 *
 * @param layerMaxWaitMs - the `maxWaitMs` the layer was created with, if any
 * @example
 * ```ts
 * maxWaitOf(ctx, options.maxWaitMs); // 1500 with createFetch({ maxWaitMs: 1500 })
 * ```
 */
export function maxWaitOf(ctx: CallContext, layerMaxWaitMs?: number): number {
  const callMaxWaitMs = ctx.maxWaitMs ?? layerMaxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  return Math.max(0, Math.min(callMaxWaitMs, layerMaxWaitMs ?? Number.POSITIVE_INFINITY));
}

/**
 * How long a wait starting at `now` may last: `maxWaitMs`, and less than the time left before
 * the call's deadline.
 *
 * @example
 * ```ts
 * waitBoundMs(ctx, ctx.clock.now(), 60_000); // 60000, or less near the deadline
 * ```
 */
export function waitBoundMs(ctx: CallContext, now: number, maxWaitMs: number): number {
  return ctx.deadline === undefined ? maxWaitMs : Math.max(0, Math.min(maxWaitMs, ctx.deadline - now - 1));
}

/**
 * Which bound of {@link waitBoundMs} a wait begun at `from` ran into: `maxWaitMs`, or the call's
 * deadline when that came first. For waits whose end is not known in advance (a queue, a
 * probe's answer), said once they have run out.
 *
 * @example
 * ```ts
 * waitBoundReason(ctx, started, 60_000); // 'exceeds maxWaitMs 60000'
 * ```
 */
export function waitBoundReason(ctx: CallContext, from: number, maxWaitMs: number): string {
  return waitBoundMs(ctx, from, maxWaitMs) < maxWaitMs ? 'passes the call deadline' : `exceeds maxWaitMs ${maxWaitMs}`;
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
 * @param cause - what the wait was for (the refusal's `HttpError`, ...), if known
 * @param wait - what the wait is, for the message, when it is not the server's own time
 * @example
 * ```ts
 * refuseLongWait(ctx, pauseUntil, ctx.clock.now(), 60_000);
 * ```
 */
export function refuseLongWait(ctx: CallContext, retryAt: number, now: number, maxWaitMs: number, cause?: unknown, wait?: string): void {
  const reason = longWaitReason(ctx, retryAt, now, maxWaitMs);
  if (reason === undefined) return;
  const init = { retryAt, delayMs: Math.max(0, retryAt - now), reason, operation: ctx.operation, ...(wait === undefined ? {} : { wait }) };
  throw new RetryLaterError(init, cause === undefined ? undefined : { cause });
}
