import { wasUnsent } from '../core/unsent-errors.js';
import { classifyError, classifyResponse } from '../verdict/classify.js';
import { CircuitOpenError, RetryLaterError } from '../errors/errors.js';
import { eventOf } from '../core/event-of.js';
import { toHttpError } from '../verdict/http-error.js';
import { apiKeyOf } from '../rate-limit/api-key.js';
import type { CallContext, Middleware, Next, RequestSpec } from '../core/types.js';
import { maxWaitOf, waitBoundMs, waitBoundReason } from '../verdict/wait-policy.js';
import { anySignal } from '../core/signals.js';

/** Options of {@link circuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Consecutive failed attempts (5xx, network errors, timeouts) that open the circuit. @default 5 */
  readonly failureThreshold?: number;
  /** How long the circuit stays open before one probe is let through. @default 1000 */
  readonly halfOpenAfterMs?: number;
  /** Names the API a request belongs to; one breaker per name. @default host + credential hash */
  readonly apiOf?: (request: RequestSpec) => string;
}

type BreakerState =
  | { readonly kind: 'closed'; readonly failures: number }
  | { readonly kind: 'open'; readonly until: number }
  | { readonly kind: 'half-open'; readonly probe: Promise<boolean> };

/**
 * Fails fast while an API is down, and probes its recovery: after `failureThreshold`
 * consecutive failed attempts the circuit opens and attempts are not sent (they reject with a
 * {@link CircuitOpenError} carrying `retryAt`, which `retry` treats as a wait); after
 * `halfOpenAfterMs` one attempt goes through as a probe while the others wait for its outcome;
 * a successful probe closes the circuit, a failed one opens it again. Put it inside `retry`.
 * Waiting for the probe is bounded by the call's `maxWaitMs` and deadline: beyond it the call
 * rejects with a `RetryLaterError`.
 * 4xx answers, 429s and server-directed waits are not failures: the API is up.
 *
 * @example
 * ```ts
 * const sureFetch = createFetch({ middleware: [retry({ maxWaits: 20 }), circuitBreaker({ failureThreshold: 5 })] });
 * ```
 */
export function circuitBreaker(options: CircuitBreakerOptions = {}): Middleware {
  const { failureThreshold = 5, halfOpenAfterMs = 1000, apiOf = (request: RequestSpec) => apiKeyOf(request) } = options;
  const states = new Map<string, BreakerState>();

  const setState = (api: string, state: BreakerState, ctx: CallContext): void => {
    const before = states.get(api)?.kind ?? 'closed';
    states.set(api, state);
    if (state.kind !== before) ctx.emit(eventOf(ctx, { type: 'circuit', state: state.kind, api }));
  };

  const closed: BreakerState = { kind: 'closed', failures: 0 };
  // Closed (nearly always): straight to the observed send, without an async layer of its own.
  return function circuitBreakerMiddleware(ctx: CallContext, next: Next): Promise<Response> {
    let api: string;
    try {
      api = apiOf(ctx.request);
    } catch (error) {
      return Promise.reject(error);
    }
    return (states.get(api) ?? closed).kind === 'closed' ? observeClosed(api, ctx, next) : notClosed(api, ctx, next);
  };

  async function notClosed(api: string, ctx: CallContext, next: Next): Promise<Response> {
    for (;;) {
      const state = states.get(api) ?? closed;
      if (state.kind === 'closed') return observeClosed(api, ctx, next);
      if (state.kind === 'open' && ctx.clock.now() < state.until) {
        throw new CircuitOpenError({ api, retryAt: state.until, operation: ctx.operation });
      }
      if (state.kind === 'open') return observe(api, ctx, next, true);
      // Half-open: wait for the probe in flight, then go round again (closed, or open anew).
      await probeOutcome(state.probe, ctx, halfOpenAfterMs);
    }
  }

  // Closed: an answer below 400 is a success (whatever a route rule says, it was delivered),
  // recorded without classifying it; anything else takes the full path (the same steps as
  // `observe`, on the outcome in hand).
  function observeClosed(api: string, ctx: CallContext, next: Next): Promise<Response> {
    let sent: Promise<Response>;
    try {
      sent = next(ctx);
    } catch (error) {
      sent = Promise.reject(error);
    }
    return sent.then(
      (response) => {
        if (response.status >= 400) return observe(api, ctx, () => Promise.resolve(response), false);
        record(api, ctx, false, false);
        return response;
      },
      (error: unknown) => observe(api, ctx, () => Promise.reject(error), false),
    );
  }

  async function observe(api: string, ctx: CallContext, next: Next, probing: boolean): Promise<Response> {
    let settleProbe: (healthy: boolean) => void = () => undefined;
    if (probing) setState(api, { kind: 'half-open', probe: new Promise<boolean>((resolve) => (settleProbe = resolve)) }, ctx);
    let failed = true;
    // An attempt stopped before it left, or left by its caller, says nothing of the API's health.
    let heard = true;
    let failure: unknown;
    const sentBefore = ctx.sends?.sent ?? 0;
    try {
      const response = await next(ctx);
      const { verdict, sent } = classifyResponse(response.status, response.headers, ctx.route, ctx.clock.now());
      failed = verdict === 'transient' && sent === 'ambiguous';
      if (!(failed && probing && ctx.idempotent)) return response;
      failure = await toHttpError(response, ctx, { attempts: ctx.attempt, verdict, sent });
    } catch (error) {
      const { verdict } = classifyError(error, ctx.signal);
      heard = !ctx.signal.aborted && !wasUnsent(error);
      failed = verdict === 'transient' && !ctx.signal.aborted;
      if (!(failed && probing && ctx.idempotent)) throw error;
      failure = error;
    } finally {
      if (heard) record(api, ctx, failed, probing);
      // An unheard probe leaves the circuit open, due now: the next attempt probes.
      else if (probing) setState(api, { kind: 'open', until: ctx.clock.now() }, ctx);
      settleProbe(heard && !failed);
    }
    // A failed probe only says the API is still down. The breaker picked this call to ask, so
    // the call is not charged an attempt for it: a request safe to repeat waits for the next
    // probe like every other. (A non-idempotent probe keeps its real, possibly ambiguous, outcome.)
    // Its sends are the breaker's too: they do not count against the call's maxAttempts.
    ctx.sends?.waive(ctx.sends.sent - sentBefore);
    const state = states.get(api);
    const retryAt = state?.kind === 'open' ? state.until : ctx.clock.now() + halfOpenAfterMs;
    throw new CircuitOpenError({ api, retryAt, operation: ctx.operation }, { cause: failure });
  }

  function record(api: string, ctx: CallContext, failed: boolean, probing: boolean): void {
    const state = states.get(api) ?? { kind: 'closed', failures: 0 };
    if (!failed) {
      if (state.kind !== 'closed' || state.failures !== 0) setState(api, { kind: 'closed', failures: 0 }, ctx);
      return;
    }
    const failures = state.kind === 'closed' ? state.failures + 1 : failureThreshold;
    if (probing || failures >= failureThreshold) setState(api, { kind: 'open', until: ctx.clock.now() + halfOpenAfterMs }, ctx);
    else setState(api, { kind: 'closed', failures }, ctx);
  }
}

// Waits for the probe's outcome within the call's bound; abortable. The bound races real work,
// so it is a timeout signal (a manual clock's sleeps would end it at once).
async function probeOutcome(probe: Promise<boolean>, ctx: CallContext, halfOpenAfterMs: number): Promise<void> {
  const maxWaitMs = maxWaitOf(ctx);
  const from = ctx.clock.now();
  const bound = ctx.clock.timeoutSignal(waitBoundMs(ctx, from, maxWaitMs));
  try {
    await abortable(probe, anySignal(ctx.signal, bound));
  } catch (error) {
    if (ctx.signal.aborted || !bound.aborted) throw error;
    const now = ctx.clock.now();
    const retryAt = now + halfOpenAfterMs;
    const reason = `${waitBoundReason(ctx, from, maxWaitMs)} (waiting for the circuit's probe)`;
    const wait = `waited ${now - from} ms`;
    throw new RetryLaterError({ retryAt, delayMs: halfOpenAfterMs, reason, operation: ctx.operation, wait });
  }
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
