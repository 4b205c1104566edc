import { toHttpError } from '../verdict/http-error.js';
import { discardBody } from '../verdict/response-body.js';
import type { CallContext, Middleware, Next, RequestSpec, RouteRule } from '../core/types.js';
import { longWaitReason, maxWaitOf, refuseLongWait } from '../verdict/wait-policy.js';
import { RateLimiterUnavailableError } from './errors.js';
import { BodyNotReplayableError } from '../errors/errors.js';
import { takeTurn, turnNow, type GateOptions, type GateRequest } from './gate.js';
import { lessonsOf, type AnswerLessons, type LessonOptions } from './lessons.js';
import { answerHeadOf } from '../core/send-tally.js';
import type { SettleResult, Turn } from './budget-types.js';
import { createLimiterRegistry, type ApiLimiter } from './limiter.js';
import { createPartitionMap } from './partitions.js';
import type { RateLimitOptions } from './rate-limit-options.js';
import { scheduleAbortable } from './schedule.js';
import { anySignal, canAbort } from '../core/signals.js';
export type { RateLimitOptions } from './rate-limit-options.js';

const ignore = (): undefined => undefined;
// Refusals returned after `maxWaits` re-sends: an outer `retry` does not send them again.
const givenUp = new WeakSet<Response>();

/**
 * Whether `rateLimit` already re-sent this refusal as often as it may (`maxWaits`) and gave it
 * back: an outer layer must not send it again, or the re-send limits would multiply.
 *
 * @example
 * ```ts
 * if (verdict === 'wait' && refusalGivenUp(response)) return response; // no more re-sends
 * ```
 */
export function refusalGivenUp(response: Response): boolean {
  return givenUp.has(response);
}

/** The `rateLimit` middleware, with a way to release its Redis connections. */
export type RateLimitMiddleware = Middleware & {
  /** The limiter of the API a request goes to (for metrics and tests). */
  readonly limiterFor: (request: RequestSpec) => Promise<ApiLimiter>;
  /** Disconnects clustered limiters and closes the Redis connections it opened. Call it on shutdown. */
  readonly close: () => Promise<void>;
};

const same = (result: GatedResult): GatedResult => result;

// The result of a send: a refusal says when its scopes may send again (the settled pause, else
// the refusal's own time, else the fallback wait).
function gatedResult(response: Response, learned: AnswerLessons, settled: SettleResult | undefined, now: number, fallbackWaitMs: number): GatedResult {
  if (!learned.refused) return { response, refused: false, retryAt: 0, serverTimed: false };
  const serverTimed = learned.lessons.some((lesson) => lesson.pause?.until !== undefined);
  if (settled !== undefined) return { response, refused: true, retryAt: settled.pauseUntil, serverTimed };
  let retryAt = 0;
  for (const lesson of learned.lessons) {
    if (lesson.pause !== undefined) retryAt = Math.max(retryAt, lesson.pause.until ?? now + fallbackWaitMs);
  }
  return { response, refused: true, retryAt, serverTimed };
}

// Endpoints whose gate request is kept (the map is emptied when full).
const MAX_GATES = 2000;

interface GatedResult {
  readonly response: Response;
  readonly refused: boolean;
  /** When the refusal's scopes may send again (0: now). */
  readonly retryAt: number;
  /** The refusal named its own time (else the wait is rateLimit's fallback). */
  readonly serverTimed: boolean;
}

/**
 * Gates every attempt through one limiter per API (host + credential hash): bottleneck caps
 * concurrency and spacing; a shared budget learned from every answer's `RateLimit-*`,
 * `X-RateLimit-*` or `RateLimit` fields holds the sends once a window's budget is spent, until
 * its reset. A refusal (429, a 503 with `Retry-After`, a 403 with the budget at 0) pauses the
 * calls of its partition until the server's time, then the refused request is sent again (the
 * server did not process it). A partition is what the server names (`X-RateLimit-Resource`,
 * the structured fields' policy names) or a route group you declare; unnamed, the whole API.
 *
 * One answer is evidence, not proof: a hold longer than a call can wait is verified by probes
 * (one at a time, `probeIntervalMs` apart) while the other calls wait; a healthy answer lifts
 * it, a second exhausted answer confirms it, and calls then reject at once with a
 * `RetryLaterError` carrying `retryAt`. After refusals that give only a time, sends are paced
 * to the window learned from what the server accepted. With `redis`, every worker using the
 * credential shares all of it. Place it inside `retry`, so each attempt is gated.
 *
 * @example
 * ```ts
 * const limit = rateLimit({ redis: rateLimitRedis({ url: process.env.REDIS_URL! }), groups: [{ name: 'search', path: '/search/*' }] });
 * const sureFetch = createFetch({ middleware: [retry(), limit], maxWaitMs: 30_000 });
 * process.on('SIGTERM', () => void limit.close());
 * ```
 */
export function rateLimit(options: RateLimitOptions = {}): RateLimitMiddleware {
  const { maxWaits = 5, fallbackWaitMs = 1000, maxFallbackWaitMs = 30_000, skewMarginMs = 1000 } = options;
  const { probeTimeoutMs = 5000, probeIntervalMs = 1000, pollMs = 10, readyTimeoutMs = 5000 } = options;
  const registry = createLimiterRegistry(options);
  const partitions = createPartitionMap(options.groups);
  const ready = new WeakSet<ApiLimiter>();

  const limiterReady = async (ctx: CallContext): Promise<ApiLimiter> => {
    const limiter = await registry.limiterFor(ctx.request);
    if (ready.has(limiter) || limiter.bottleneck === undefined || limiter.bottleneck.datastore === 'local') return limiter;
    const timer = new AbortController();
    const timedOut = ctx.clock.sleep(readyTimeoutMs, anySignal(timer.signal, ctx.signal)).then(() => {
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

  // Takes the send's turn and sends it: at once when the budget lets it go (most sends), with no
  // async frame of its own; after a wait otherwise. `then` takes the result.
  const sendGated = <T>(limiter: ApiLimiter, ctx: CallContext, next: Next, at: GateRequest, gate: GateOptions, then: (result: GatedResult) => T | Promise<T>): Promise<T> => {
    const look = turnNow(limiter.store, ctx, at, gate);
    if (look?.result.go === true) return sendTurn(limiter, ctx, next, at, look.result.turn, then);
    return takeTurn(limiter.store, ctx, at, gate, true, look).then((turn) => sendTurn(limiter, ctx, next, at, turn, then));
  };

  // Sends on its turn; `then` takes the result where it is known (no extra promise to unwrap it).
  const sendTurn = <T>(limiter: ApiLimiter, ctx: CallContext, next: Next, at: GateRequest, turn: Turn, then: (result: GatedResult) => T | Promise<T>): Promise<T> => {
    let sent: Promise<Response>;
    try {
      sent = Promise.resolve(next(ctx));
    } catch (error) {
      sent = Promise.reject(error);
    }
    return sent.then(
      (response) => {
        const result = learnFrom(limiter, ctx, at, turn, response);
        return result instanceof Promise ? result.then(then) : then(result);
      },
      async (error: unknown) => {
        await limiter.store.settle(ctx.clock.now(), { turn, endpoint: at.endpoint, lessons: [], probeIntervalMs }).catch(ignore);
        throw error;
      },
    );
  };

  // What the answer teaches the budget; a refusal's result says when its scopes may send again.
  const learnFrom = ({ store, serverClock }: ApiLimiter, ctx: CallContext, at: GateRequest, turn: Turn, response: Response): GatedResult | Promise<GatedResult> => {
    const now = ctx.clock.now();
    const head = answerHeadOf(ctx.sends, response); // as the send read it (no Headers read), where it could
    serverClock.noteDate(head === undefined ? response.headers.get('date') : head.date, now);
    const learned = lessonsOf(response.status, response.headers, now, lessonOptionsOf(at.scopes[0] ?? '', ctx.route, serverClock.offsetMs(now)), head?.rateLimitFields);
    partitions.learn(at.endpoint, learned.partitions);
    // A response in hand is never lost to a failing Redis: the refusal still holds this call.
    const settleInput = { turn, endpoint: at.endpoint, status: response.status, lessons: learned.lessons, probeIntervalMs };
    if (store.settleNow !== undefined) return gatedResult(response, learned, store.settleNow(now, settleInput), now, fallbackWaitMs);
    return store.settle(now, settleInput).then(
      (settled) => gatedResult(response, learned, settled, now, fallbackWaitMs),
      () => gatedResult(response, learned, undefined, now, fallbackWaitMs),
    );
  };

  // How answers are read differs by the request's home scope, its route and the server's
  // measured clock, which most answers share: one options object for them.
  let lastLessonOptions: LessonOptions | undefined;
  const lessonOptionsOf = (home: string, route: RouteRule | undefined, serverOffsetMs: number | undefined): LessonOptions => {
    const last = lastLessonOptions;
    if (last !== undefined && last.home === home && last.route === route && last.serverOffsetMs === serverOffsetMs) return last;
    return (lastLessonOptions = Object.freeze({ home, route, skewMarginMs, serverOffsetMs, fallbackWaitMs, maxFallbackWaitMs }));
  };

  // The gate options differ by the call's wait bound only, which most calls share.
  let lastGate: GateOptions | undefined;
  const gateFor = (maxWaitMs: number): GateOptions =>
    lastGate?.maxWaitMs === maxWaitMs ? lastGate : (lastGate = Object.freeze({ maxWaitMs, probeLeaseMs: probeTimeoutMs, probeIntervalMs, pollMs }));

  // The request's place in the budget, built once per endpoint while its scopes stay the same.
  const gates = new Map<string, { readonly home: string; readonly known: readonly string[] | undefined; readonly at: GateRequest }>();
  const gateRequestOf = (request: RequestSpec): GateRequest => {
    const { home, endpoint, partitions: known } = partitions.scopesOf(request);
    const cached = gates.get(endpoint);
    if (cached !== undefined && cached.home === home && cached.known === known) return cached.at;
    const at: GateRequest = { scopes: known === undefined ? [home] : [home, ...known], endpoint, softPartitions: known === undefined };
    if (gates.size >= MAX_GATES) gates.clear();
    gates.set(endpoint, { home, known, at });
    return at;
  };

  // Most calls: the limiter exists, nothing to queue behind, no caller who can leave. The send
  // goes through sendGated with no async frame here; a refusal goes on in the loop.
  const rateLimitMiddleware = function rateLimitMiddleware(ctx: CallContext, next: Next): Promise<Response> {
    const known = registry.createdFor(ctx.request);
    if (known === undefined || known.bottleneck !== undefined || canAbort(ctx.signal)) return gatedCall(ctx, next, undefined);
    try {
      // A refused send goes on in the loop, with this answer as its first.
      const go = (result: GatedResult): Response | Promise<Response> => (result.refused ? gatedCall(ctx, next, result) : result.response);
      return sendGated(known, ctx, next, gateRequestOf(ctx.request), gateFor(maxWaitOf(ctx, options.maxWaitMs)), go);
    } catch (error) {
      return Promise.reject(error);
    }
  };

  // A call's sends until one is not refused (or it may not re-send); `first` is a send already made.
  const gatedCall = async (ctx: CallContext, next: Next, first: GatedResult | undefined): Promise<Response> => {
    const known = registry.createdFor(ctx.request);
    const limiter = known !== undefined && (known.bottleneck === undefined || known.bottleneck.datastore === 'local' || ready.has(known)) ? known : await limiterReady(ctx);
    const maxWaitMs = maxWaitOf(ctx, options.maxWaitMs);
    const gate = gateFor(maxWaitMs);
    for (let refusals = 0; ; refusals += 1) {
      const { response, refused, retryAt, serverTimed } = refusals === 0 && first !== undefined ? first : await sendOnce(limiter, ctx, next, maxWaitMs, gate);
      if (!refused) return response;
      // Out of re-sends: its own, or the call's (the sends of every layer count, see SendTally).
      if (refusals >= maxWaits || ctx.sends?.mayResend() === false) {
        givenUp.add(response);
        return response;
      }
      // A one-shot body cannot go again: the refusal is the call's answer, as retry's would be.
      if (!ctx.request.replayable) {
        const cause = await toHttpError(response, ctx, { attempts: ctx.attempt, verdict: 'wait', sent: 'delivered' });
        throw new BodyNotReplayableError(ctx.operation, { cause });
      }
      // The server's answer to this very request names a wait it cannot take: reject at once.
      // (Other calls verify such a hold before they believe it.)
      const now = ctx.clock.now();
      if (longWaitReason(ctx, retryAt, now, maxWaitMs) !== undefined) {
        const cause = await toHttpError(response, ctx, { attempts: ctx.attempt, verdict: 'wait', sent: 'delivered', retryAt });
        refuseLongWait(ctx, retryAt, now, maxWaitMs, cause, serverTimed ? undefined : `the server gave no usable time, and rateLimit's fallback wait is ${Math.ceil(retryAt - now)} ms`);
      }
      await discardBody(response);
    }
  };

  const sendOnce = async (limiter: ApiLimiter, ctx: CallContext, next: Next, maxWaitMs: number, gate: GateOptions): Promise<GatedResult> => {
    const at = gateRequestOf(ctx.request);
    // Sit out holds before queueing, so a long one neither holds bottleneck's slots nor
    // queues a call that will be refused anyway.
    if (limiter.bottleneck !== undefined) await takeTurn(limiter.store, ctx, at, gate, false);
    // Nothing to queue behind and no caller who can leave: the send goes as it is.
    if (limiter.bottleneck === undefined && !canAbort(ctx.signal)) return sendGated(limiter, ctx, next, at, gate, same);
    return scheduleAbortable(limiter, ctx, maxWaitMs, () => sendGated(limiter, ctx, next, at, gate, same));
  };
  return Object.assign(rateLimitMiddleware, {
    limiterFor: (request: RequestSpec) => registry.limiterFor(request),
    close: () => registry.close(),
  });
}

