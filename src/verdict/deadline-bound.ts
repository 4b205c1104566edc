import { DeadlineExceededError } from '../errors/errors.js';
import { anySignal, untilAborted } from '../core/signals.js';
import { markUnsent } from '../core/unsent-errors.js';
import type { CallContext } from '../core/types.js';

/** What a wait bounded by the call's deadline needs of its context. */
export type DeadlineContext = Pick<CallContext, 'deadline' | 'clock' | 'operation' | 'sends'>;

/** Options of {@link beforeDeadline}. */
export interface BeforeDeadlineOptions {
  /** Ends the wait too (the caller's signal): `run` is given both, combined. */
  readonly signal?: AbortSignal;
  /**
   * The wait stands before one attempt's send, below `retry`: its error says that attempt was
   * not sent, as the send's own does when the deadline has passed (`retry` then ends the call
   * with an earlier ambiguous attempt's error). Otherwise it says so only while the call has
   * sent nothing at all, so that a caller is never told "not sent" after a send that may have landed.
   */
  readonly attempt?: boolean;
}

/**
 * The error of a wait the call's deadline cut short (or that could not start, the deadline
 * passed): a {@link DeadlineExceededError} counting the sends made so far.
 *
 * @example
 * ```ts
 * throw deadlineCut(ctx, false);
 * ```
 */
export function deadlineCut(ctx: DeadlineContext, attempt: boolean): DeadlineExceededError {
  const attempts = ctx.sends?.sent ?? 0;
  const error = new DeadlineExceededError({ operation: ctx.operation, attempts });
  if (attempt || attempts === 0) markUnsent(error);
  return error;
}

/**
 * Runs `run`, a wait on a backend made before a send (a request store's operation, a shared
 * limiter's Redis), within the time left before the call's deadline: when the deadline passes
 * first it rejects with {@link deadlineCut}, and when it has passed already `run` is not called
 * at all. `run` gets a signal that aborts then (with `options.signal`'s reason when that aborts
 * first), and the wait ends then whether or not `run` listens: what it does later is ignored, as
 * after its own timeout. Without a deadline, `run` gets `options.signal` as it is.
 * The timer runs on `clock.timeoutSignal` (real time, on a manual clock too), released as soon
 * as `run` settles.
 *
 * @example
 * ```ts
 * const claim = await beforeDeadline(ctx, (signal) => store.claim(record, ttlMs, { signal }), { signal: ctx.signal });
 * ```
 */
export async function beforeDeadline<T>(ctx: DeadlineContext, run: (signal: AbortSignal | undefined) => Promise<T>, options: BeforeDeadlineOptions = {}): Promise<T> {
  if (ctx.deadline === undefined) return run(options.signal);
  const leftMs = ctx.deadline - ctx.clock.now();
  if (leftMs <= 0) throw deadlineCut(ctx, options.attempt === true);
  const settled = new AbortController();
  const cut = new AbortController();
  const timer = ctx.clock.timeoutSignal(leftMs, settled.signal);
  const onTimer = (): void => cut.abort(deadlineCut(ctx, options.attempt === true));
  timer.addEventListener('abort', onTimer, { once: true });
  try {
    const signal = options.signal === undefined ? cut.signal : anySignal(options.signal, cut.signal);
    return await untilAborted(run(signal), signal);
  } finally {
    settled.abort();
    timer.removeEventListener('abort', onTimer);
  }
}

/**
 * Waits for `work` (what a call records after its send: the outcome in the request store, a
 * shared budget) until it settles or the call's deadline passes, whichever comes first; `work`
 * is not stopped, and goes on under its own bound. Resolves `undefined` when the deadline came
 * first (within a timer's tick when it had passed already), else as `work` does, a rejection
 * included.
 *
 * @example
 * ```ts
 * await untilDeadline(ctx, writeOutcome().catch(() => undefined));
 * ```
 */
export async function untilDeadline<T>(ctx: DeadlineContext, work: Promise<T>): Promise<T | undefined> {
  if (ctx.deadline === undefined) return work;
  work.catch(() => undefined);
  // Past the deadline a timer of 0 still lets a store in this process (the memory store) finish
  // first, so its record reads as before once the call has ended.
  const leftMs = Math.max(0, ctx.deadline - ctx.clock.now());
  const settled = new AbortController();
  const timer = ctx.clock.timeoutSignal(leftMs, settled.signal);
  try {
    return await Promise.race([work, new Promise<undefined>((resolve) => timer.addEventListener('abort', () => resolve(undefined), { once: true }))]);
  } finally {
    settled.abort();
  }
}
