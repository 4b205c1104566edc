import { AttemptTimeoutError, DeadlineExceededError } from '../errors/errors.js';
import { RedirectError } from '../errors/redirect-error.js';
import { followRedirects } from './redirect.js';
import { requestSecrets } from '../core/request-secrets.js';
import { realTimeoutSignal, unrefTimer } from '../core/clock.js';
import { MAX_TIMER_MS } from '../core/long-timeout.js';
import { anySignal, canAbort } from '../core/signals.js';
import { markUnsent } from '../core/unsent-errors.js';
import { noEvents } from '../core/no-events.js';
import { watchSend, type WatchedSend } from './send-events.js';
import { AttemptDispatcher, attemptDispatchersWork, isDispatcher, type Dispatcher } from './attempt-dispatcher.js';
import { isUnansweredNetworkError, toNetworkError } from '../verdict/transport-error.js';
import type { CallContext, FetchFunction, Next, RequestSpec } from '../core/types.js';

// The reason a settled attempt's timer is released with: abort() without one builds a
// DOMException with a stack trace on every request (about 1% of a request's CPU).
const RELEASED = Object.freeze({ released: true });

/** Options of {@link sendWith}. */
export interface SendOptions {
  /**
   * The runtime's global fetch, when the wrapped fetch is it (bound): where it is Node's own
   * (see `attemptDispatchersWork`), an attempt that no caller's signal can abort is timed out
   * through its `dispatcher` (see `AttemptDispatcher`) instead of an `AbortController`'s signal.
   */
  readonly nativeFetch?: typeof fetch;
}

type Attempt = AbortController | AttemptDispatcher;

/**
 * The innermost link of every chain: sends one attempt through the wrapped `fetch`, bounded by
 * the per-attempt timeout (and the call's deadline), and turns what the fetch threw into a
 * typed error: the caller's abort reason as is, an {@link AttemptTimeoutError}, or a
 * `NetworkError` whose sent state comes from the cause code. Unless the caller asked for
 * `redirect: 'manual'`, it follows redirects itself (the wrapped fetch is called with
 * `redirect: 'manual'`): see {@link followRedirects}.
 *
 * @example
 * ```ts
 * const terminal = sendWith(globalThis.fetch);
 * ```
 */
export function sendWith(fetchFunction: FetchFunction, { nativeFetch }: SendOptions = {}): Next {
  // No async frame: one `then` on the happy path (every call's attempt passes here).
  return function send(ctx: CallContext): Promise<Response> {
    if (ctx.signal.aborted) return Promise.reject(ctx.signal.reason);
    if (deadlinePassed(ctx)) return Promise.reject(deadlineUnsent(ctx));
    // A layer keeping a durable record of the call's sends may note this one before it leaves.
    let before: Promise<void> | undefined;
    try {
      before = ctx.sends?.beforeSend?.();
    } catch (error) {
      return Promise.reject(markUnsent(error));
    }
    return before === undefined ? sendNow(ctx) : before.then(() => sendNow(ctx), (error: unknown) => Promise.reject(markUnsent(error)));
  };

  function sendNow(ctx: CallContext): Promise<Response> {
    if (ctx.signal.aborted) return Promise.reject(ctx.signal.reason);
    // The layers above may have spent the call's time (a store, a wait): a request sent with no
    // time left would be abandoned as it went out, and a create made ambiguous that never left.
    if (deadlinePassed(ctx)) return Promise.reject(deadlineUnsent(ctx));
    let attempt: Attempt | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let release: (() => void) | undefined;
    let limitMs: number | undefined;
    // When the request goes out (after every wait above this link): the API may act on it until long after.
    let sentAt: number | undefined;
    // Its `attempt`/`attempt-end` events, when anyone listens.
    let watched: WatchedSend | undefined;
    // Like AbortSignal.timeout, the timer does not keep the process alive; it is released as the
    // answer (or the failure) comes in, so none outlives its attempt.
    const done = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      release?.();
    };
    // The send ends once: with its answer, a failure of its own, or a write's redirect answer
    // (what follows a 303 only reads the result, see followRedirects).
    let ended = false;
    const end = (status?: number): void => {
      if (ended) return;
      ended = true;
      ctx.sends?.ended(status);
    };
    // What the fetch threw, as the typed error the call rejects with.
    const failure = (error: unknown): unknown => {
      done();
      const typed = typedFailure(error);
      watched?.failed(typed);
      return typed;
    };
    const typedFailure = (error: unknown): unknown => {
      // A send its caller gave up on, or that timed out, stays out: the API may still act on it.
      if (ctx.signal.aborted) return ctx.signal.reason;
      // The write was answered, and reading its result failed (even by this attempt's timeout).
      if (error instanceof RedirectError && error.code === 'REDIRECT_FAILED') return error;
      if (attempt !== undefined && timedOut(attempt) && limitMs !== undefined) {
        return new AttemptTimeoutError({ timeoutMs: limitMs, operation: ctx.operation, attempts: ctx.attempt, sentAt }, { cause: error });
      }
      const typed = toNetworkError(error, ctx.attempt, requestSecrets(ctx.request)) ?? error;
      // A transport's own timeout leaves the send out too; any other failure ended it.
      if (!isUnansweredNetworkError(typed)) end();
      return typed;
    };
    const failed = (error: unknown): never => {
      throw failure(error);
    };
    try {
      // Announced before it counts: a listener may abort the call as it hears it, and then nothing leaves.
      if (ctx.emit !== noEvents) {
        watched = watchSend(ctx);
        if (ctx.signal.aborted) {
          watched.stopped(ctx.signal.reason);
          return Promise.reject(markUnsent(ctx.signal.reason));
        }
      }
      ctx.sends?.note();
      limitMs = attemptLimitMs(ctx);
      if (limitMs !== undefined) sentAt = ctx.clock.now();
      // The per-attempt timeout bounds the wait for the answer only: once the headers are in, the
      // caller reads the body at its own pace, so the timeout must no longer abort the exchange.
      const base = limitMs === undefined ? false : dispatcherBase(ctx, nativeFetch);
      attempt = limitMs === undefined ? undefined : base !== false ? new AttemptDispatcher(base) : new AbortController();
      // On the real clock the timeout is one plain timer, with no closure made per attempt; one
      // longer than a timer holds is left to the clock's timeoutSignal, which chains timers.
      timer = attempt === undefined || limitMs === undefined || limitMs > MAX_TIMER_MS || ctx.clock.timeoutSignal !== realTimeoutSignal ? undefined : setTimeout(abortOnTimeout, limitMs, attempt);
      if (timer !== undefined) unrefTimer(timer);
      release = attempt === undefined || timer !== undefined || limitMs === undefined ? undefined : armTimeout(ctx, limitMs, attempt);
      const signal = attempt === undefined ? (canAbort(ctx.signal) ? ctx.signal : undefined) : attempt instanceof AttemptDispatcher ? undefined : anySignal(ctx.signal, attempt.signal);
      const dispatcher = attempt instanceof AttemptDispatcher ? attempt : undefined;
      const follow = ctx.request.options.redirect !== 'manual';
      return Promise.resolve(fetchFunction(ctx.request.url, initOf(ctx.request, signal, dispatcher, follow))).then((response) => {
        if (!follow || !mayRedirect(response)) {
          done();
          end(response.status);
          watched?.answered(response);
          return response;
        }
        const hop = (request: RequestSpec): Promise<Response> => fetchFunction(request.url, initOf(request, signal, dispatcher, follow));
        return followRedirects(response, ctx, hop, end).then((last) => {
          done();
          end(last.status);
          watched?.answered(last);
          return last;
        }, failed);
      }, failed);
    } catch (error) {
      return Promise.reject(failure(error));
    }
  }
}

// Where an attempt is timed out through an AttemptDispatcher: on Node's own fetch, with no
// signal of the caller's, it sends through the caller's dispatcher (`undefined`: the global
// one). `false` otherwise, as for a `dispatcher` that cannot take requests: it goes to fetch as
// it is, to fail there as it would.
function dispatcherBase(ctx: CallContext, nativeFetch: typeof fetch | undefined): Dispatcher | undefined | false {
  if (nativeFetch === undefined || canAbort(ctx.signal) || attemptDispatchersWork(nativeFetch) !== true) return false;
  const given = ctx.request.options.dispatcher;
  return given === undefined ? undefined : isDispatcher(given) ? given : false;
}

function timedOut(attempt: Attempt): boolean {
  return attempt instanceof AttemptDispatcher ? attempt.aborted : attempt.signal.aborted;
}

function abortOnTimeout(attempt: Attempt): void {
  attempt.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
}

/**
 * Aborts `attempt` when the clock's `timeoutSignal` fires after `limitMs` (a clock other than
 * the real one: the real clock's timeout is a plain timer, see `send`); returns what releases
 * it, so that none outlives the attempt.
 */
function armTimeout(ctx: CallContext, limitMs: number, attempt: Attempt): () => void {
  const answered = new AbortController();
  const timeout = ctx.clock.timeoutSignal(limitMs, answered.signal);
  const onTimeout = (): void => attempt.abort(timeout.reason);
  timeout.addEventListener('abort', onTimeout, { once: true });
  return () => {
    timeout.removeEventListener('abort', onTimeout);
    answered.abort(RELEASED);
  };
}

// Only a redirect status (or a redirect the wrapped fetch hid) has hops to follow.
function mayRedirect(response: Response): boolean {
  return (response.status >= 300 && response.status < 400) || response.type === 'opaqueredirect';
}

function initOf(request: RequestSpec, signal: AbortSignal | undefined, dispatcher: AttemptDispatcher | undefined, follow: boolean): RequestInit {
  const init: Omit<RequestInit, 'dispatcher'> & { duplex?: 'half'; dispatcher?: unknown } = { ...request.options, method: request.method };
  // fetch copies the headers it is given pair by pair: none given, none copied (most GETs).
  if (hasAny(request.headers)) init.headers = request.headers;
  if (signal !== undefined) init.signal = signal;
  if (dispatcher !== undefined) init.dispatcher = dispatcher;
  // Followed by surefetch, hop by hop: Node's fetch cannot re-send a buffered body on a 307.
  if (follow) init.redirect = 'manual';
  if (request.body !== null) {
    init.body = request.body as NonNullable<RequestInit['body']>;
    if (request.body instanceof ReadableStream) init.duplex = 'half';
  }
  return init as RequestInit;
}

function hasAny(headers: Headers): boolean {
  for (const _name of headers.keys()) return true;
  return false;
}

function deadlinePassed(ctx: CallContext): boolean {
  return ctx.deadline !== undefined && ctx.deadline <= ctx.clock.now();
}

// Nothing left: the call's deadline, the sends made so far counted (this one was not).
function deadlineUnsent(ctx: CallContext): unknown {
  return markUnsent(new DeadlineExceededError({ operation: ctx.operation, attempts: ctx.sends?.sent ?? ctx.attempt - 1 }));
}

// `undefined` when nothing bounds the attempt: no deadline, and an attempt timeout of
// `Infinity` (what createFetch makes of 0) or none.
function attemptLimitMs(ctx: CallContext): number | undefined {
  const untilDeadline = ctx.deadline === undefined ? undefined : Math.max(0, ctx.deadline - ctx.clock.now());
  const own = ctx.attemptTimeoutMs === Number.POSITIVE_INFINITY ? undefined : ctx.attemptTimeoutMs;
  if (own === undefined) return untilDeadline;
  if (untilDeadline === undefined) return own;
  return Math.min(own, untilDeadline);
}
