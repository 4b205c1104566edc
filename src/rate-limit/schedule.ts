import { RetryLaterError } from '../errors/errors.js';
import { discardBody } from '../verdict/response-body.js';
import type { CallContext } from '../core/types.js';
import { canAbort } from '../core/signals.js';
import { waitBoundMs, waitBoundReason } from '../verdict/wait-policy.js';
import { RateLimiterUnavailableError } from './errors.js';
import type { ApiLimiter } from './limiter.js';

type Box<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/**
 * Runs `job` through the limiter's bottleneck, with three things bottleneck lacks: a queued
 * job is abandoned at once when the caller aborts or when it has queued for `maxWaitMs` (or
 * up to the deadline) — it then rejects with a `RetryLaterError`; bottleneck cannot cancel
 * a job, so when its turn comes it sees it was left and sends nothing — and a failure of
 * bottleneck itself (Redis down) is told apart from the job's own error and becomes a
 * {@link RateLimiterUnavailableError}. bottleneck's `failed`/retry machinery is never used:
 * its retries bypass the limiter (#223).
 *
 * @example
 * ```ts
 * const result = await scheduleAbortable(limiter, ctx, 60_000, () => next(ctx));
 * ```
 */
export function scheduleAbortable<T extends { readonly response: Response }>(
  limiter: ApiLimiter,
  ctx: CallContext,
  maxWaitMs: number,
  job: () => Promise<T>,
): Promise<T> {
  const { signal } = ctx;
  if (signal.aborted) return Promise.reject(signal.reason);
  // Nothing to queue behind and no caller who can leave: the job runs as it is.
  if (limiter.bottleneck === undefined && !canAbort(signal)) return job();
  const left = new AbortController();
  let started = limiter.bottleneck === undefined;
  const run = async (): Promise<Box<T>> => {
    started = true;
    try {
      signal.throwIfAborted();
      left.signal.throwIfAborted();
      return { ok: true, value: await job() };
    } catch (error) {
      return { ok: false, error };
    }
  };
  const scheduled = (limiter.bottleneck === undefined ? run() : limiter.bottleneck.schedule(run)).then(
    (box) => {
      if (box.ok) return box.value;
      throw box.error;
    },
    (error: unknown) => {
      throw new RateLimiterUnavailableError({ limiterId: limiter.id, reason: 'bottleneck could not run the request' }, { cause: error });
    },
  );
  return new Promise<T>((resolve, reject) => {
    const leave = (reason: unknown): void => {
      left.abort(reason);
      reject(reason);
      // An answer that arrives after the caller left is nobody's: release its connection.
      scheduled.then((value) => discardBody(value.response), () => undefined);
    };
    const onAbort = (): void => leave(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    // The bound races real work, so it is a timeout signal (a manual clock's sleeps end at once).
    const queuedAt = ctx.clock.now();
    const queued = started ? undefined : ctx.clock.timeoutSignal(waitBoundMs(ctx, queuedAt, maxWaitMs));
    const onQueuedTooLong = (): void => {
      if (started) return;
      const now = ctx.clock.now();
      const reason = `${waitBoundReason(ctx, queuedAt, maxWaitMs)} (queued behind the limiter)`;
      const wait = `waited ${now - queuedAt} ms`;
      leave(new RetryLaterError({ retryAt: now + maxWaitMs, delayMs: maxWaitMs, reason, operation: ctx.operation, wait }));
    };
    queued?.addEventListener('abort', onQueuedTooLong, { once: true });
    scheduled.then(resolve, reject).finally(() => {
      queued?.removeEventListener('abort', onQueuedTooLong);
      signal.removeEventListener('abort', onAbort);
    });
  });
}
