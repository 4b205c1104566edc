import { systemClock, type Clock } from './clock.js';
import type { EventListener, SurefetchEvent } from './events.js';
import { toHttpError } from './http-error.js';
import { buildRequestSpec } from './request-spec.js';
import { isIdempotentMethod, matchRoute } from './routes.js';
import { classifyResponse } from './classify.js';
import { sendWith } from './send.js';
import type { CallContext, FetchFunction, Middleware, Next, RouteRule } from './types.js';

/** Options of {@link createFetch}. */
export interface CreateFetchOptions {
  /** The fetch to wrap. @default globalThis.fetch */
  readonly fetch?: FetchFunction;
  /** Middleware, outermost first, e.g. `[idempotency(...), retry(), rateLimit()]`. @default [] */
  readonly middleware?: readonly Middleware[];
  /** Per-route rules (first match wins): idempotency overrides, status verdicts, names. @default [] */
  readonly routes?: readonly RouteRule[];
  /** Per-attempt timeout in ms (the send alone, not waits or queues). @default 30000 */
  readonly attemptTimeoutMs?: number;
  /** Default deadline for a whole call, in ms from its start; none when absent. */
  readonly deadlineMs?: number;
  /**
   * Default longest single in-process wait of a call, for every layer: retry's backoff and
   * server-directed waits, rateLimit's holds and queue, the breaker's probe. Beyond it the call
   * rejects at once with `RetryLaterError` (`retryAt`), so a job queue can reschedule it.
   * @default each layer's own (60000)
   */
  readonly maxWaitMs?: number;
  /** Reject a final non-2xx answer with an `HttpError` instead of returning it. @default true */
  readonly throwHttpErrors?: boolean;
  /** Buffer bodies up to this size so they can be re-sent. @default 10485760 */
  readonly maxReplayBytes?: number;
  /** Receives every event (attempts, retries, waits, give-ups); secrets already redacted. */
  readonly onEvent?: EventListener;
  /** Time source. @default systemClock */
  readonly clock?: Clock;
  /** Random source in [0, 1), for jitter. @default Math.random */
  readonly random?: () => number;
  /** Makes client request ids. @default crypto.randomUUID */
  readonly generateId?: () => string;
}

/** Per-call options, passed as `init.surefetch`. */
export interface CallOptions {
  /** Operation name for events and errors. @default "METHOD /path" */
  readonly operation?: string;
  /** Idempotency scope: a job id plus a step name, an order number. Used by `idempotency`. */
  readonly idempotencyScope?: string;
  /** Client request id to use instead of a generated one. */
  readonly clientRequestId?: string;
  /** Deadline for the whole call, in ms from now. */
  readonly deadlineMs?: number;
  /** Absolute deadline for the whole call (epoch ms); the earlier of the two wins. */
  readonly deadline?: number;
  /** Per-attempt timeout for this call, in ms. */
  readonly attemptTimeoutMs?: number;
  /** Longest single in-process wait for this call; replaces `createFetch`'s `maxWaitMs`. */
  readonly maxWaitMs?: number;
}

/** `RequestInit` plus surefetch's per-call options. */
export interface SurefetchInit extends RequestInit {
  /** Per-call options. */
  readonly surefetch?: CallOptions;
}

/** A function with `fetch`'s signature that runs every call through the middleware chain. */
export type SureFetch = (input: string | URL | Request, init?: SurefetchInit) => Promise<Response>;

/**
 * Composes middleware around a fetch. The result has `fetch`'s signature, so it can be called
 * directly or handed to ofetch, ky or openapi-fetch as their `fetch`.
 *
 * @example
 * ```ts
 * const sureFetch = createFetch({ middleware: [retry()] });
 * const response = await sureFetch('https://api.example.com/v1/orders/list');
 * ```
 */
export function createFetch(options: CreateFetchOptions = {}): SureFetch {
  const {
    fetch: fetchFunction = globalThis.fetch.bind(globalThis),
    middleware = [],
    routes = [],
    attemptTimeoutMs = 30_000,
    deadlineMs,
    maxWaitMs,
    throwHttpErrors = true,
    maxReplayBytes,
    onEvent,
    clock = systemClock,
    random = Math.random,
    generateId = () => crypto.randomUUID(),
  } = options;
  const chain = compose([...middleware], sendWith(fetchFunction));
  const emit = (event: SurefetchEvent): void => {
    try {
      onEvent?.(event);
    } catch {
      // A failing listener must not change the outcome of a call.
    }
  };

  return async function sureFetch(input: string | URL | Request, init?: SurefetchInit): Promise<Response> {
    const call = init?.surefetch ?? {};
    const request = await buildRequestSpec(input, init, maxReplayBytes === undefined ? {} : { maxReplayBytes });
    const url = new URL(request.url);
    const route = matchRoute(routes, request.method, url);
    const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined) ?? new AbortController().signal;
    const ctx: CallContext = Object.freeze({
      request,
      operation: call.operation ?? route?.operation ?? `${request.method} ${url.pathname}`,
      signal,
      deadline: deadlineOf(clock.now(), call, deadlineMs),
      maxWaitMs: call.maxWaitMs ?? maxWaitMs,
      attempt: 1,
      previous: undefined,
      clientRequestId: call.clientRequestId ?? generateId(),
      idempotencyScope: call.idempotencyScope,
      idempotent: route?.idempotent ?? (isIdempotentMethod(request.method) || request.headers.has('idempotency-key')),
      route,
      attemptTimeoutMs: call.attemptTimeoutMs ?? attemptTimeoutMs,
      throwHttpErrors,
      resendGuard: undefined,
      clock,
      random,
      emit,
    });
    const response = await chain(ctx);
    if (response.ok || !throwHttpErrors) return response;
    const { verdict, sent } = classifyResponse(response.status, response.headers, route, clock.now());
    throw await toHttpError(response, ctx, { attempts: 1, verdict, sent });
  };
}

function deadlineOf(now: number, call: CallOptions, defaultMs: number | undefined): number | undefined {
  const relative = call.deadlineMs ?? defaultMs;
  const candidates = [relative === undefined ? undefined : now + relative, call.deadline].filter(
    (value): value is number => value !== undefined && Number.isFinite(value),
  );
  return candidates.length === 0 ? undefined : Math.min(...candidates);
}

/**
 * Composes middleware into one `Next`: the first is the outermost. A middleware may call
 * `next` any number of times; each call runs the rest of the chain afresh.
 *
 * @example
 * ```ts
 * const run = compose([retry()], sendWith(fetch));
 * ```
 */
export function compose(middleware: readonly Middleware[], terminal: Next): Next {
  return middleware.reduceRight<Next>((next, layer) => (ctx: CallContext) => layer(ctx, next), terminal);
}

