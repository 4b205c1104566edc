import { DeadlineExceededError } from '../errors/errors.js';
import { followRedirects } from './redirect.js';
import { anySignal, canAbort } from '../core/signals.js';
import { markUnsent } from '../core/unsent-errors.js';
import { noEvents } from '../core/no-events.js';
import { watchSend } from './send-events.js';
import { OutgoingSend } from './outgoing-send.js';
import { AttemptDispatcher, attemptDispatchersWork, isDispatcher, type Dispatcher } from './attempt-dispatcher.js';
import { dispatchFetch, dispatchFetchFits } from './dispatch-fetch.js';
import type { CallContext, FetchFunction, Next, RequestSpec } from '../core/types.js';

/** Options of {@link sendWith}. */
export interface SendOptions {
  /**
   * The runtime's global fetch, when the wrapped fetch is it (bound): where it is Node's own
   * (see `attemptDispatchersWork`), an attempt that no caller's signal can abort is timed out
   * through its `dispatcher` (see `AttemptDispatcher`) instead of an `AbortController`'s signal.
   */
  readonly nativeFetch?: typeof fetch;
}

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
    const send = new OutgoingSend(ctx);
    try {
      // Announced before it counts: a listener may abort the call as it hears it, and then nothing leaves.
      if (ctx.emit !== noEvents) {
        send.watched = watchSend(ctx);
        if (ctx.signal.aborted) {
          send.watched.stopped(ctx.signal.reason);
          return Promise.reject(markUnsent(ctx.signal.reason));
        }
      }
      ctx.sends?.note();
      const limitMs = attemptLimitMs(ctx);
      send.limitMs = limitMs;
      if (limitMs !== undefined) send.sentAt = ctx.clock.now();
      // The per-attempt timeout bounds the wait for the answer only: once the headers are in, the
      // caller reads the body at its own pace, so the timeout must no longer abort the exchange.
      const base = limitMs === undefined ? false : dispatcherBase(ctx, nativeFetch);
      const attempt = limitMs === undefined ? undefined : base !== false ? new AttemptDispatcher(base) : new AbortController();
      send.attempt = attempt;
      if (limitMs !== undefined) send.arm(limitMs);
      const signal = attempt === undefined ? (canAbort(ctx.signal) ? ctx.signal : undefined) : attempt instanceof AttemptDispatcher ? undefined : anySignal(ctx.signal, attempt.signal);
      const dispatcher = attempt instanceof AttemptDispatcher ? attempt : undefined;
      const follow = ctx.request.options.redirect !== 'manual';
      const failed = (error: unknown): never => {
        throw send.failure(error);
      };
      // A plain GET on Node's own fetch goes past it, to the dispatcher fetch would use (see dispatchFetch).
      const hop = (request: RequestSpec): Promise<Response> =>
        dispatcher !== undefined && dispatchFetchFits(request) ? dispatchFetch(request, dispatcher) : Promise.resolve(fetchFunction(request.url, initOf(request, signal, dispatcher, follow)));
      return hop(ctx.request).then((response) => {
        if (!follow || !mayRedirect(response)) return send.answered(response);
        return followRedirects(response, ctx, hop, (status) => send.end(status)).then((last) => send.answered(last), failed);
      }, failed);
    } catch (error) {
      return Promise.reject(send.failure(error));
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

// Only a redirect status (or a redirect the wrapped fetch hid) has hops to follow.
function mayRedirect(response: Response): boolean {
  return (response.status >= 300 && response.status < 400) || response.type === 'opaqueredirect';
}

function initOf(request: RequestSpec, signal: AbortSignal | undefined, dispatcher: AttemptDispatcher | undefined, follow: boolean): RequestInit {
  // Assigned, not `{ ...request.options, method }`: on Node 20 a spread followed by a field costs
  // about 0.4 µs when the options have any (a `dispatcher`, `keepalive`), on every send.
  const init: Omit<RequestInit, 'dispatcher'> & { duplex?: 'half'; dispatcher?: unknown } = Object.assign({}, request.options as Omit<RequestInit, 'dispatcher'>);
  init.method = request.method;
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
