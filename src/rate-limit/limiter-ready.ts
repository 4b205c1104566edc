import type { CallContext } from '../core/types.js';
import { anySignal } from '../core/signals.js';
import { beforeDeadline } from '../verdict/deadline-bound.js';
import { RateLimiterUnavailableError } from './errors.js';
import type { ApiLimiter, LimiterRegistry } from './limiter.js';

/** The limiters of one `rateLimit` middleware as a call finds them (see {@link limiterReadiness}). */
export interface LimiterReadiness {
  /** Whether `limiter` may be used at once: no clustered bottleneck, or one already seen ready. */
  readonly usable: (limiter: ApiLimiter) => boolean;
  /** The limiter of the call's API, once usable. */
  readonly ready: (ctx: CallContext) => Promise<ApiLimiter>;
}

/**
 * Makes the limiter of a call's API usable: its Redis connected (`operationTimeoutMs`, through
 * the registry) and its clustered bottleneck ready (`readyTimeoutMs`), failing with
 * `RateLimiterUnavailableError` past those bounds. Nothing is sent meanwhile, so the wait also
 * ends at the call's deadline (a `DeadlineExceededError`, the attempt not sent: a frozen Redis
 * is no reason to run past it) and at once when the caller aborts, with its reason.
 *
 * @example
 * ```ts
 * const readiness = limiterReadiness(registry, 5000);
 * const limiter = known !== undefined && readiness.usable(known) ? known : await readiness.ready(ctx);
 * ```
 */
export function limiterReadiness(registry: LimiterRegistry, readyTimeoutMs: number): LimiterReadiness {
  const seenReady = new WeakSet<ApiLimiter>();
  const usable = (limiter: ApiLimiter): boolean => limiter.bottleneck === undefined || limiter.bottleneck.datastore === 'local' || seenReady.has(limiter);

  const untilReady = async (ctx: CallContext, signal: AbortSignal): Promise<ApiLimiter> => {
    const limiter = await registry.limiterFor(ctx.request);
    if (usable(limiter)) return limiter;
    const timer = new AbortController();
    const timedOut = ctx.clock.sleep(readyTimeoutMs, anySignal(timer.signal, signal)).then(() => {
      throw new RateLimiterUnavailableError({ limiterId: limiter.id, reason: `not ready within ${readyTimeoutMs} ms` });
    });
    try {
      await Promise.race([limiter.bottleneck?.ready(), timedOut]);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (error instanceof RateLimiterUnavailableError) throw error;
      throw new RateLimiterUnavailableError({ limiterId: limiter.id, reason: 'Redis failed' }, { cause: error });
    } finally {
      timer.abort();
      timedOut.catch(() => undefined);
    }
    seenReady.add(limiter);
    return limiter;
  };

  return {
    usable,
    ready: (ctx) => beforeDeadline(ctx, (signal) => untilReady(ctx, signal ?? ctx.signal), { signal: ctx.signal, attempt: true }),
  };
}
