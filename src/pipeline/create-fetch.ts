import { systemClock, type Clock } from '../core/clock.js';
import type { EventListener, SurefetchEvent } from '../core/events.js';
import { createSendTally } from '../core/send-tally.js';
import { noEvents } from '../core/no-events.js';
import { randomId } from '../core/random-id.js';
import { unsetSignal } from '../core/signals.js';
import { toHttpError } from '../verdict/http-error.js';
import { defaultRedirectPolicy, type RedirectOptions } from './redirect.js';
import { buildRequestSpec, plainRequestSpec, urlOf } from './request-spec.js';
import { composedTextSecrets, redactEvent, requestSecrets } from '../core/request-secrets.js';
import { isIdempotentMethod, matchRoute } from '../core/routes.js';
import { classifyResponse } from '../verdict/classify.js';
import { clientModeFetch } from '../core/call-facts.js';
import { clientAnswer } from './client-answer.js';
import { compose, deadlineOf, unlessDeadlinePassed } from './compose.js';
import { sendWith } from './send.js';
import { callOptionsOf, type CallOptions } from './call-options.js';
import { attemptDispatchersWork } from './attempt-dispatcher.js';
import { scrubError } from '../errors/scrub-error.js';
import { checkTimingOptions, timeoutLimitMs } from './timing-options.js';
import type { CallContext, FetchFunction, Middleware, RequestSpec, RouteRule } from '../core/types.js';

export type { CallOptions } from './call-options.js';

/** Options of {@link createFetch}. */
export interface CreateFetchOptions {
  /**
   * The fetch to wrap. Left to its default on Node, an attempt's timeout is enforced through the
   * `dispatcher` Node's fetch takes (undici's handler's `abort`), which costs less per request
   * than an abort signal; a fetch passed here always gets a real `AbortSignal`.
   * @default globalThis.fetch
   */
  readonly fetch?: FetchFunction;
  /** Middleware, outermost first, e.g. `[idempotency(...), retry(), rateLimit()]`. @default [] */
  readonly middleware?: readonly Middleware[];
  /** Per-route rules (first match wins): idempotency overrides, status verdicts, names. @default [] */
  readonly routes?: readonly RouteRule[];
  /**
   * Per-attempt timeout in ms (the send alone, not waits or queues); `Infinity` or 0 (as undici
   * and ofetch read it) for none. Every timing option refuses NaN, a negative or a non-number:
   * `RangeError`/`TypeError` here, `InvalidRequestError` per call. @default 30000
   */
  readonly attemptTimeoutMs?: number;
  /**
   * Longest time surefetch spends reading one response body itself, also bounded by the call's
   * deadline: an error body (for the `HttpError`), a success body (for idempotency's replay copy),
   * and in client mode ({@link forClient}) the body of a final answer of 400 or more, read before
   * the client gets it (a body that stalls then fails the client's read with the error). A body
   * that stalls is cancelled (see `BodyTimeoutError`). Your own read of a returned success body
   * is not bounded by it: pass a `signal` for that. `Infinity` or 0: none.
   * @default 10000
   */
  readonly bodyTimeoutMs?: number;
  /** Default deadline for a whole call, in ms from its start; none when absent or `Infinity`; 0 rejects every call unsent. */
  readonly deadlineMs?: number;
  /**
   * How redirects are followed when the call leaves `redirect` at `'follow'`: surefetch follows
   * them itself, re-sending a buffered body on 307/308, refusing a 301/302/303 that would turn a
   * write into a GET, and dropping secret headers when a hop leaves the origin.
   * @default { max: 10, followAsGet: false }
   */
  readonly redirects?: RedirectOptions;
  /**
   * Default longest single in-process wait of a call, for every layer: retry's backoff and
   * server-directed waits, rateLimit's holds and queue, the breaker's probe. Beyond it the call
   * rejects at once with `RetryLaterError` (`retryAt`), so a job queue can reschedule it. 0: no
   * in-process wait; `Infinity`: no bound (a wait past about 24.8 days is still taken in full).
   * @default each layer's own (60000)
   */
  readonly maxWaitMs?: number;
  /**
   * Reject a final answer of 400 or more with an `HttpError` instead of returning it. `false` is
   * client mode for every call (see {@link forClient}, which gives the same for one fetch):
   * answers are returned carrying their facts (`factsOf`), for a client that builds its own errors.
   * @default true
   */
  readonly throwHttpErrors?: boolean;
  /**
   * Buffer bodies up to this size so they can be re-sent; a larger one is sent once (with its
   * `Content-Length` when its size is known) and never retried.
   * @default 10485760
   */
  readonly maxReplayBytes?: number;
  /** Receives every event (attempts, retries, waits, give-ups); secrets already redacted. */
  readonly onEvent?: EventListener;
  /** Time source. @default systemClock */
  readonly clock?: Clock;
  /** Random source in [0, 1), for jitter. @default Math.random */
  readonly random?: () => number;
  /** Makes client request ids. @default a random version 4 UUID, as `crypto.randomUUID()` gives */
  readonly generateId?: () => string;
}

/**
 * An undici `Dispatcher` (`Agent`, `Pool`, `ProxyAgent`, ...), typed by its shape so that
 * undici's own classes are accepted whichever undici version the types come from.
 */
export interface DispatcherLike {
  /** undici's `Dispatcher.dispatch`. */
  dispatch(...args: never[]): unknown;
}

/** `RequestInit` plus surefetch's per-call options. */
export interface SurefetchInit extends Omit<RequestInit, 'dispatcher'> {
  /** Per-call options. */
  readonly surefetch?: CallOptions;
  /** undici's dispatcher for this call (passed through to the wrapped fetch). */
  readonly dispatcher?: DispatcherLike;
  /** Required by Node's fetch for a streamed body; surefetch sets it when needed. */
  readonly duplex?: 'half';
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
  // The global fetch as found now (a mock installed later does not change what this wraps).
  const globalFetch = globalThis.fetch;
  checkTimingOptions(options);
  const {
    fetch: fetchFunction = boundGlobalFetch(globalFetch),
    middleware = [],
    routes = [],
    attemptTimeoutMs = 30_000,
    bodyTimeoutMs = 10_000,
    deadlineMs,
    redirects = {},
    maxWaitMs,
    throwHttpErrors = true,
    maxReplayBytes,
    onEvent,
    clock = systemClock,
    random = Math.random,
    generateId = randomId,
  } = options;
  // Node's own fetch is timed out through its dispatcher (see AttemptDispatcher), once a probe
  // started here has shown that it can be; a fetch of the caller's own gets an AbortSignal.
  const nativeFetch = options.fetch === undefined ? globalFetch : undefined;
  if (nativeFetch !== undefined) attemptDispatchersWork(nativeFetch);
  const chain = compose([...middleware], sendWith(fetchFunction, nativeFetch === undefined ? {} : { nativeFetch }));
  const emit = (event: SurefetchEvent): void => {
    try {
      onEvent?.(event);
    } catch {
      // A failing listener must not change the outcome of a call.
    }
  };
  const redirectPolicy = Object.freeze({ ...defaultRedirectPolicy, ...redirects });

  // No async frame: a plain GET goes from here to the chain without an await.
  const run = (input: string | URL | Request, init: SurefetchInit | undefined, clientMode: boolean): Promise<Response> => {
    try {
      const call = callOptionsOf(input, init);
      const plain = plainRequestSpec(input, init as RequestInit | undefined);
      if (plain !== undefined) return runSpec(plain, call, input, init, clientMode);
      const built = buildRequestSpec(input, init as RequestInit | undefined, maxReplayBytes === undefined ? {} : { maxReplayBytes });
      return built.then((request) => runSpec(request, call, input, init, clientMode));
    } catch (error) {
      return Promise.reject(error);
    }
  };
  const runSpec = (request: RequestSpec, call: CallOptions, input: string | URL | Request, init: SurefetchInit | undefined, clientMode: boolean): Promise<Response> => {
    const url = urlOf(request);
    const route = matchRoute(routes, request.method, url);
    let secrets: readonly string[] | undefined;
    let seen: Map<string, string> | undefined;
    // Whatever a layer puts in an event, the credentials this request carries are taken out.
    const emitRedacted =
      onEvent === undefined
        ? noEvents
        : (event: SurefetchEvent): void => {
            // Events carry the library's text, and server text already cleaned (see composedTextSecrets).
            secrets ??= composedTextSecrets(requestSecrets(request));
            emit(redactEvent(event, secrets, (seen ??= new Map())));
          };
    const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined) ?? unsetSignal;
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
      attemptTimeoutMs: timeoutLimitMs(call.attemptTimeoutMs ?? attemptTimeoutMs),
      bodyTimeoutMs: timeoutLimitMs(call.bodyTimeoutMs ?? bodyTimeoutMs),
      redirects: call.redirects === undefined ? redirectPolicy : Object.freeze({ ...redirectPolicy, ...call.redirects }),
      throwHttpErrors: !clientMode,
      resendGuard: undefined,
      clock,
      random,
      emit: emitRedacted,
      sends: createSendTally(),
    });
    // What leaves the call is free of the request's credentials, the operation name included
    // (its default is the raw path, which may hold a token): see scrubError.
    return Promise.resolve(unlessDeadlinePassed(ctx, chain)).then((response) => {
      if (clientMode) return clientAnswer(response, ctx, input, init);
      // A 3xx reaches here only when it was not to be followed (`redirect: 'manual'`, no Location).
      if (response.status < 400) return response;
      const { verdict, sent } = classifyResponse(response.status, response.headers, route, clock.now());
      return toHttpError(response, ctx, { attempts: 1, verdict, sent }).then((error) => Promise.reject(scrubError(error, request)));
    }, (error: unknown) => Promise.reject(scrubError(error, request)));
  };
  // `run` never throws, it rejects.
  const sureFetch = function sureFetch(input: string | URL | Request, init?: SurefetchInit): Promise<Response> {
    return run(input, init, !throwHttpErrors);
  };
  Object.defineProperty(sureFetch, clientModeFetch, {
    value: function sureFetchForClient(input: string | URL | Request, init?: SurefetchInit): Promise<Response> {
      return run(input, init, true);
    },
  });
  return sureFetch;
}

// One bound global fetch for every createFetch (most applications make one per API): the call
// to it in `send` then sees one function, not one per instance.
let lastBound: { readonly fetch: typeof fetch; readonly bound: FetchFunction } | undefined;
function boundGlobalFetch(globalFetch: typeof fetch): FetchFunction {
  if (lastBound?.fetch !== globalFetch) lastBound = { fetch: globalFetch, bound: globalFetch.bind(globalThis) };
  return lastBound.bound;
}
