import { memoized } from './memo.js';
import { redactUrl } from './redact.js';
import type { CallContext, SentState, Verdict } from './types.js';

/** Fields every event carries. Names follow OpenTelemetry's HTTP conventions where one exists. */
export interface EventBase {
  /** The operation name, e.g. `"POST /v1/orders/create"`. */
  readonly operation: string;
  /** The client request id of the call. */
  readonly clientRequestId: string;
  /** `http.request.method`. */
  readonly method: string;
  /** `url.full` with credentials and secret-looking query parameters redacted. */
  readonly url: string;
  /** The attempt number (1-based). */
  readonly attempt: number;
  /** `clock.now()` when the event was emitted. */
  readonly time: number;
  /** `lookup` on the events of an existence check's reads; absent on the caller's own requests. */
  readonly purpose?: 'lookup';
}

/**
 * A request is about to leave: emitted for every send, whichever layer makes it (`retry`'s
 * attempts, `rateLimit`'s re-send after a refusal, a circuit breaker's probe, an existence
 * check's lookup), so the `attempt` events of a call count its sends (a redirect's hops are
 * part of their send). Not emitted for an attempt that never reached the send (a circuit open,
 * a wait refused as too long): those end in a `give-up` or an error. A listener that aborts the
 * call as it hears this event stops the send: its `attempt-end` then says `not-sent`.
 */
export interface AttemptEvent extends EventBase {
  /** Discriminant: `'attempt'`. */
  readonly type: 'attempt';
  /**
   * This send's place among the call's sends, every layer's counted (1 for the first; a
   * redirect's hops are part of their send). It runs ahead of `attempt` when a layer inside
   * `retry` sent too (`rateLimit`'s re-send after a 429 keeps the attempt number; a breaker's
   * probe is a send). An existence check's lookups are numbered on their own.
   */
  readonly send: number;
}

/** A send ended: answered (after any redirects it followed), failed or timed out. */
export interface AttemptEndEvent extends EventBase {
  /** Discriminant: `'attempt-end'`. */
  readonly type: 'attempt-end';
  /** The send it ends (see {@link AttemptEvent.send}). */
  readonly send: number;
  /** How the attempt was classified: `success`, `terminal`, `wait` or `transient`. */
  readonly verdict: Verdict;
  /** Whether the server may have applied it: `not-sent`, `ambiguous` or `delivered`. */
  readonly sent: SentState;
  /** `http.response.status_code`, when the server answered. */
  readonly status?: number;
  /** The library's or the server's error code, when the attempt failed. */
  readonly errorCode?: string;
  /** Time from the send leaving to its answer's headers or its failure, in ms on `clock.now()` (no wait before it counted). */
  readonly durationMs: number;
}

/** A backoff before the next attempt (transient failure). */
export interface RetryEvent extends EventBase {
  /** Discriminant: `'retry'`. */
  readonly type: 'retry';
  /** The backoff before the next attempt, in ms. */
  readonly delayMs: number;
  /** Why the attempt failed (its classification's reason), e.g. `"ECONNREFUSED"`. */
  readonly reason: string;
}

/** A server-directed wait before the next attempt (429, 503 with Retry-After, ...). */
export interface WaitEvent extends EventBase {
  /** Discriminant: `'wait'`. */
  readonly type: 'wait';
  /** How long the wait lasts, in ms. */
  readonly delayMs: number;
  /** Epoch ms at which the server said to come back. */
  readonly retryAt: number;
  /**
   * The header the wait was read from, or how it was decided: `"fallback"` (no usable time),
   * `"pacing"` (a learned pace), `"verify"` (the next probe of an unconfirmed hold).
   */
  readonly source: string;
}

/** The call gave up: the error it rejects with. */
export interface GiveUpEvent extends EventBase {
  /** Discriminant: `'give-up'`. */
  readonly type: 'give-up';
  /** The error's `code` for a surefetch error, else its `name`, else `"UNKNOWN"`. */
  readonly errorCode: string;
  /** The error's message. */
  readonly message: string;
}

/** An earlier attempt was found to have landed; its resource is the call's result. */
export interface RecoveredEvent extends EventBase {
  /** Discriminant: `'recovered'`. */
  readonly type: 'recovered';
  /** How it was found, e.g. `"lookup"`, `"duplicate"`, `"stored"`. */
  readonly via: string;
}

/** A circuit breaker changed state. */
export interface CircuitEvent extends EventBase {
  /** Discriminant: `'circuit'`. */
  readonly type: 'circuit';
  /** The breaker's new state: `open`, `half-open` or `closed`. */
  readonly state: 'open' | 'half-open' | 'closed';
  /** The API the breaker guards (host and a hash of the credential). */
  readonly api: string;
}

/** Any structured event surefetch emits. Secrets are never included. */
export type SurefetchEvent =
  | CircuitEvent
  | AttemptEvent
  | AttemptEndEvent
  | RetryEvent
  | WaitEvent
  | GiveUpEvent
  | RecoveredEvent;

/** Receives events. It must not throw; an exception it throws is swallowed. */
export type EventListener = (event: SurefetchEvent) => void;

// The URL of every event of a call is the same text: redacted once (redactUrl scans it with
// regular expressions), and the memo emptied when full.
const redactedUrls = new Map<string, string>();
const MAX_URLS = 256;
function redactedUrl(url: string): string {
  return memoized(redactedUrls, url, MAX_URLS, redactUrl, undefined);
}

/**
 * The fields every event carries, taken from a call's context.
 *
 * @example
 * ```ts
 * const base = eventBase(ctx); // { operation, clientRequestId, method, url, attempt, time }
 * ```
 */
export function eventBase(ctx: CallContext): EventBase {
  // Built field by field: a conditional spread makes a slow copy, and every event spreads this one.
  const base: { -readonly [K in keyof EventBase]: EventBase[K] } = {
    operation: ctx.operation,
    clientRequestId: ctx.clientRequestId,
    method: ctx.request.method,
    url: redactedUrl(ctx.request.url),
    attempt: ctx.attempt,
    time: ctx.clock.now(),
  };
  if (ctx.purpose !== undefined) base.purpose = ctx.purpose;
  return base;
}
