/**
 * The `attempt` and `attempt-end` events of one send, emitted where the request leaves (the
 * terminal send), so that every request the server gets is seen once, whichever layer sent it:
 * `retry`'s attempts, `rateLimit`'s re-send after a 429, a circuit breaker's probe, an existence
 * check's lookup, and the one send of a pipeline with no `retry` at all.
 */
import { errorCodeOf } from '../errors/error-code.js';
import { eventOf } from '../core/event-of.js';
import type { AttemptEndEvent, EventBase } from '../core/events.js';

type Writable<T> = { -readonly [K in keyof T]: T[K] };
import { classifyError, classifyResponse, type Classification } from '../verdict/classify.js';
import type { CallContext } from '../core/types.js';

/** One send being watched: ends it with its answer or its failure. @internal */
export interface WatchedSend {
  answered(response: Response): void;
  failed(error: unknown): void;
  /** The send never left: the call was aborted as `attempt` was heard. */
  stopped(reason: unknown): void;
}

// The requests each call's tally has seen leave, for the events' `send`: the tally's own count
// is lowered when a layer takes sends back (a circuit breaker's failed probe), this one never.
const made = new WeakMap<object, number>();

/**
 * Emits `attempt` for a send about to leave and returns what emits its `attempt-end`, once.
 * `send` is the send's place among the call's sends (every layer's), 1 for the first. A send a
 * listener stopped (it aborted the call on `attempt`) is ended with {@link WatchedSend.stopped}:
 * not sent, and not counted. @internal
 */
export function watchSend(ctx: CallContext): WatchedSend {
  const counter: object = ctx.sends ?? ctx;
  const send = (made.get(counter) ?? 0) + 1;
  made.set(counter, send);
  ctx.emit(eventOf(ctx, { type: 'attempt', send }));
  const started = ctx.clock.now();
  let ended = false;
  const end = (classification: Classification, status: number | undefined, error: unknown): void => {
    if (ended) return;
    ended = true;
    // Built field by field: a conditional spread makes a slow copy, on every send.
    const fields: Writable<Omit<AttemptEndEvent, keyof EventBase>> = { type: 'attempt-end', send, verdict: classification.verdict, sent: classification.sent, durationMs: ctx.clock.now() - started };
    if (status !== undefined) fields.status = status;
    if (error !== undefined) fields.errorCode = errorCodeOf(error) ?? 'UNKNOWN';
    ctx.emit(eventOf(ctx, fields));
  };
  return {
    answered: (response) => end(classifyResponse(response.status, response.headers, ctx.route, ctx.clock.now()), response.status, undefined),
    failed: (error) => end(classifyError(error, ctx.signal), undefined, error),
    stopped: (reason) => {
      made.set(counter, send - 1);
      end({ verdict: 'terminal', sent: 'not-sent', reason: 'aborted before the request left' }, undefined, reason);
    },
  };
}
