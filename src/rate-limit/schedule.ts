import { discardBody } from '../response-body.js';
import type { CallContext } from '../types.js';
import { RateLimiterUnavailableError } from './errors.js';
import type { ApiLimiter } from './limiter.js';

type Box<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/**
 * Runs `job` through the limiter's bottleneck, with two things bottleneck lacks: a queued job
 * is abandoned at once when the caller aborts (bottleneck cannot cancel one; when its turn
 * comes it sees the abort and sends nothing), and a failure of bottleneck itself (Redis down)
 * is told apart from the job's own error and becomes a {@link RateLimiterUnavailableError}.
 * bottleneck's `failed`/retry machinery is never used: its retries bypass the limiter (#223).
 *
 * @example
 * ```ts
 * const result = await scheduleAbortable(limiter, ctx, () => next(ctx));
 * ```
 */
export function scheduleAbortable<T extends { readonly response: Response }>(
  limiter: ApiLimiter,
  ctx: CallContext,
  job: () => Promise<T>,
): Promise<T> {
  const { signal } = ctx;
  if (signal.aborted) return Promise.reject(signal.reason);
  const run = async (): Promise<Box<T>> => {
    try {
      signal.throwIfAborted();
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
    const onAbort = (): void => {
      reject(signal.reason);
      // An answer that arrives after the caller left is nobody's: release its connection.
      scheduled.then((value) => discardBody(value.response), () => undefined);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    scheduled.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
