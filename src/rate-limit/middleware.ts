import { classifyResponse } from '../classify.js';
import { toHttpError } from '../http-error.js';
import { discardBody } from '../response-body.js';
import { parseRateLimitState } from '../rate-limit-headers.js';
import { parseServerWait } from '../server-wait.js';
import { RetryLaterError } from '../errors.js';
import type { CallContext, Middleware, Next, RequestSpec } from '../types.js';
import type { ReportedBudget, SettleInput, SettleResult } from './budget.js';
import { RateLimiterUnavailableError } from './errors.js';
import { longWaitReason, takeTurn, waitUntil, type GateOptions } from './gate.js';
import { createLimiterRegistry, type ApiLimiter, type LimiterRegistryOptions } from './limiter.js';
import { scheduleAbortable } from './schedule.js';

/** Options of {@link rateLimit}. */
export interface RateLimitOptions extends LimiterRegistryOptions {
  /** Longest server-directed wait taken in-process; a longer one rejects with `RetryLaterError`. @default 60000 */
  readonly maxWaitMs?: number;
  /** Most re-sends after refusals (429, ...) per attempt; then the refusal is returned. @default 5 */
  readonly maxWaits?: number;
  /** Pause after a refusal that says nothing about when to come back; doubled on each further one. @default 1000 */
  readonly fallbackWaitMs?: number;
  /** Cap of the doubled fallback pause. @default 30000 */
  readonly maxFallbackWaitMs?: number;
  /** Margin added to reset times given as absolute server times (clock skew). @default 1000 */
  readonly skewMarginMs?: number;
  /** How long the one probe sent after a reset may stay unanswered before another send probes. @default 5000 */
  readonly probeTimeoutMs?: number;
  /** How often sends waiting for a probe's answer look again. @default 10 */
  readonly pollMs?: number;
  /** Longest wait for the clustered limiter (Redis) to become ready. @default 5000 */
  readonly readyTimeoutMs?: number;
}

/** The `rateLimit` middleware, with a way to release its Redis connections. */
export type RateLimitMiddleware = Middleware & {
  /** The limiter of the API a request goes to (for metrics and tests). */
  readonly limiterFor: (request: RequestSpec) => Promise<ApiLimiter>;
  /** Disconnects clustered limiters and closes the Redis connections it opened. Call it on shutdown. */
  readonly close: () => Promise<void>;
};

interface GatedResult {
  readonly response: Response;
  readonly refused: boolean;
  readonly settled: SettleResult;
}

/**
 * Gates every attempt through one limiter per API (host + credential hash): bottleneck caps
 * concurrency and spacing; a shared budget learned from every answer's `RateLimit-*`,
 * `X-RateLimit-*` or `RateLimit` fields holds every send once the window's budget is spent,
 * until its reset. A refusal (429, a 503 with `Retry-After`, a 403 with the budget at 0)
 * pauses every call of that API until the server's time, then the refused request is sent
 * again (the server did not process it) through the limiter. With `redis`, every worker
 * using the credential shares the budget, the pause and bottleneck's limits.
 *
 * A wait longer than `maxWaitMs` or past the call's deadline rejects at once with a
 * `RetryLaterError` carrying `retryAt`. Place it inside `retry`, so each attempt is gated.
 *
 * @example
 * ```ts
 * const limit = rateLimit({ redis: { url: process.env.REDIS_URL! }, maxWaitMs: 30_000 });
 * const sureFetch = createFetch({ middleware: [retry(), limit] });
 * process.on('SIGTERM', () => void limit.close());
 * ```
 */
export function rateLimit(options: RateLimitOptions = {}): RateLimitMiddleware {
  const {
    maxWaitMs = 60_000,
    maxWaits = 5,
    fallbackWaitMs = 1000,
    maxFallbackWaitMs = 30_000,
    skewMarginMs = 1000,
    probeTimeoutMs = 5000,
    pollMs = 10,
    readyTimeoutMs = 5000,
  } = options;
  const registry = createLimiterRegistry(options);
  const gate: GateOptions = { maxWaitMs, probeLeaseMs: probeTimeoutMs, pollMs };
  const ready = new WeakSet<ApiLimiter>();

  const limiterReady = async (ctx: CallContext): Promise<ApiLimiter> => {
    const limiter = await registry.limiterFor(ctx.request);
    if (ready.has(limiter) || limiter.bottleneck === undefined || limiter.bottleneck.datastore === 'local') return limiter;
    const timer = new AbortController();
    const timedOut = ctx.clock.sleep(readyTimeoutMs, AbortSignal.any([timer.signal, ctx.signal])).then(() => {
      throw new RateLimiterUnavailableError({ limiterId: limiter.id, reason: `not ready within ${readyTimeoutMs} ms` });
    });
    try {
      await Promise.race([limiter.bottleneck?.ready(), timedOut]);
    } catch (error) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      if (error instanceof RateLimiterUnavailableError) throw error;
      throw new RateLimiterUnavailableError({ limiterId: limiter.id, reason: 'Redis failed' }, { cause: error });
    } finally {
      timer.abort();
      timedOut.catch(() => undefined);
    }
    ready.add(limiter);
    return limiter;
  };

  const sendGated = async (limiter: ApiLimiter, ctx: CallContext, next: Next): Promise<GatedResult> => {
    const turn = await takeTurn(limiter.store, ctx, gate);
    let response: Response;
    try {
      response = await next(ctx);
    } catch (error) {
      await limiter.store.settle(ctx.clock.now(), { probe: turn.probe, epoch: turn.epoch, answered: false, success: false }).catch(() => undefined);
      throw error;
    }
    const now = ctx.clock.now();
    const lesson = learn(response, ctx, now, skewMarginMs);
    const input: SettleInput = {
      probe: turn.probe,
      epoch: turn.epoch,
      answered: true,
      success: response.ok,
      ...(lesson.budget === undefined ? {} : { budget: lesson.budget }),
      ...(lesson.refusal === undefined
        ? {}
        : { pause: { ...lesson.refusal, fallbackMs: fallbackWaitMs, maxFallbackMs: maxFallbackWaitMs } }),
    };
    // A response in hand is never lost to a failing Redis: the refusal still pauses this call.
    const settled = await limiter.store.settle(now, input).catch(() => ({
      pauseUntil: lesson.refusal?.until ?? now + fallbackWaitMs,
      pauseSource: lesson.refusal?.source ?? 'fallback',
    }));
    return { response, refused: lesson.refusal !== undefined, settled };
  };

  const rateLimitMiddleware = async function rateLimitMiddleware(ctx: CallContext, next: Next): Promise<Response> {
    const limiter = await limiterReady(ctx);
    for (let refusals = 0; ; refusals += 1) {
      // Sit out a pause before queueing, so a long pause neither holds bottleneck's slots nor
      // queues a call that will be refused anyway.
      const paused = await limiter.store.pausedUntil(ctx.clock.now());
      if (paused.pauseUntil > 0) await waitUntil(ctx, paused.pauseUntil, paused.pauseSource, maxWaitMs);
      const { response, refused, settled } = await scheduleAbortable(limiter, ctx, () => sendGated(limiter, ctx, next));
      if (!refused || refusals >= maxWaits) return response;
      const retryAt = settled.pauseUntil;
      const now = ctx.clock.now();
      const reason = longWaitReason(ctx, retryAt, now, maxWaitMs);
      if (reason !== undefined) {
        const cause = await toHttpError(response, ctx, { attempts: ctx.attempt, verdict: 'wait', sent: 'delivered', retryAt });
        throw new RetryLaterError({ retryAt, delayMs: Math.max(0, retryAt - now), reason, operation: ctx.operation }, { cause });
      }
      await discardBody(response);
    }
  };
  return Object.assign(rateLimitMiddleware, {
    limiterFor: (request: RequestSpec) => registry.limiterFor(request),
    close: () => registry.close(),
  });
}

interface Lesson {
  readonly budget?: ReportedBudget;
  readonly refusal?: { readonly until?: number; readonly source: string };
}

function learn(response: Response, ctx: CallContext, now: number, skewMarginMs: number): Lesson {
  const { headers, status } = response;
  const state = parseRateLimitState(headers, { now, skewMarginMs });
  const resetAt = state?.resetAt ?? (state?.windowMs === undefined ? undefined : now + state.windowMs);
  const budget =
    state?.remaining === undefined || resetAt === undefined
      ? undefined
      : { remaining: state.remaining, resetAt, ...(state.limit === undefined ? {} : { limit: state.limit }) };
  const base = budget === undefined ? {} : { budget };
  if (classifyResponse(status, headers, ctx.route, now).verdict !== 'wait') return base;
  const wait = parseServerWait(headers, { now, skewMarginMs });
  if (wait !== undefined) return { ...base, refusal: { until: wait.retryAt, source: wait.source } };
  if (state?.remaining === 0 && state.resetAt !== undefined) return { ...base, refusal: { until: state.resetAt, source: state.source } };
  return { ...base, refusal: { source: 'fallback' } };
}
