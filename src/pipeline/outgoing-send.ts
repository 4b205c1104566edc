import { AttemptTimeoutError } from '../errors/errors.js';
import { RedirectError } from '../errors/redirect-error.js';
import { requestSecrets } from '../core/request-secrets.js';
import { realTimeoutSignal, unrefTimer } from '../core/clock.js';
import { MAX_TIMER_MS } from '../core/long-timeout.js';
import { isUnansweredNetworkError, toNetworkError } from '../verdict/transport-error.js';
import { AttemptDispatcher } from './attempt-dispatcher.js';
import { timeoutListFor, type TimedEntry, type TimeoutList } from './attempt-timeouts.js';
import type { WatchedSend } from './send-events.js';
import type { CallContext } from '../core/types.js';
import { noteAnswerHead } from '../core/send-tally.js';

// The reason a settled attempt's timer is released with: abort() without one builds a
// DOMException with a stack trace on every request (about 1% of a request's CPU).
const RELEASED = Object.freeze({ released: true });

/** What an attempt's timeout aborts: an `AbortController`, or on Node's fetch its dispatcher. @internal */
export type Attempt = AbortController | AttemptDispatcher;

/**
 * One request on its way out: its attempt (what its timeout aborts), the timeout itself, and
 * how it ended. One object per send, with methods, rather than a closure per step: every call
 * makes one. It is also its own entry in the list of timeouts of its duration (`TimedEntry`).
 * @internal
 */
export class OutgoingSend implements TimedEntry {
  due = 0;
  newer: TimedEntry | undefined = undefined;
  older: TimedEntry | undefined = undefined;
  list: TimeoutList | undefined = undefined;
  attempt: Attempt | undefined = undefined;
  limitMs: number | undefined = undefined;
  // When the request goes out (after every wait above this link): the API may act on it until long after.
  sentAt: number | undefined = undefined;
  // Its `attempt`/`attempt-end` events, when anyone listens.
  watched: WatchedSend | undefined = undefined;
  private timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private release: (() => void) | undefined = undefined;
  // The send ends once: with its answer, a failure of its own, or a write's redirect answer
  // (what follows a 303 only reads the result, see followRedirects).
  private ended = false;
  private readonly ctx: CallContext;

  constructor(ctx: CallContext) {
    this.ctx = ctx;
  }

  /**
   * Starts the attempt's timeout. On the real clock it joins the list of its duration (the
   * call's own `attemptTimeoutMs`) or, cut short by a deadline, gets a plain timer; a timeout
   * longer than a timer holds, or on another clock, is left to the clock's `timeoutSignal`.
   */
  arm(limitMs: number): void {
    const attempt = this.attempt;
    if (attempt === undefined) return;
    if (limitMs > MAX_TIMER_MS || this.ctx.clock.timeoutSignal !== realTimeoutSignal) {
      this.release = armTimeout(this.ctx, limitMs, attempt);
      return;
    }
    const list = limitMs === this.ctx.attemptTimeoutMs ? timeoutListFor(limitMs) : undefined;
    if (list !== undefined) {
      list.add(this);
      return;
    }
    // Like AbortSignal.timeout, the timer does not keep the process alive.
    this.timer = setTimeout(abortOnTimeout, limitMs, attempt);
    unrefTimer(this.timer);
  }

  expire(): void {
    if (this.attempt !== undefined) abortOnTimeout(this.attempt);
  }

  // The timeout is released as the answer (or the failure) comes in, so none outlives its attempt.
  private done(): void {
    this.list?.remove(this);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.release?.();
  }

  end(status?: number): void {
    if (this.ended) return;
    this.ended = true;
    this.ctx.sends?.ended(status);
  }

  answered(response: Response): Response {
    this.done();
    // What the head said, for the layers above (no Headers read); none from another fetch.
    noteAnswerHead(this.ctx.sends, response, this.attempt instanceof AttemptDispatcher ? this.attempt.head : undefined);
    this.end(response.status);
    this.watched?.answered(response);
    return response;
  }

  /** What the fetch threw, as the typed error the call rejects with. */
  failure(error: unknown): unknown {
    this.done();
    const typed = this.typedFailure(error);
    this.watched?.failed(typed);
    return typed;
  }

  private typedFailure(error: unknown): unknown {
    const { ctx, attempt, limitMs } = this;
    // A send its caller gave up on, or that timed out, stays out: the API may still act on it.
    if (ctx.signal.aborted) return ctx.signal.reason;
    // The write was answered, and reading its result failed (even by this attempt's timeout).
    if (error instanceof RedirectError && error.code === 'REDIRECT_FAILED') return error;
    if (attempt !== undefined && timedOut(attempt) && limitMs !== undefined) {
      return new AttemptTimeoutError({ timeoutMs: limitMs, operation: ctx.operation, attempts: ctx.attempt, sentAt: this.sentAt }, { cause: error });
    }
    const typed = toNetworkError(error, ctx.attempt, requestSecrets(ctx.request)) ?? error;
    // A transport's own timeout leaves the send out too; any other failure ended it.
    if (!isUnansweredNetworkError(typed)) this.end();
    return typed;
  }
}

function timedOut(attempt: Attempt): boolean {
  return attempt instanceof AttemptDispatcher ? attempt.aborted : attempt.signal.aborted;
}

function abortOnTimeout(attempt: Attempt): void {
  attempt.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
}

/**
 * Aborts `attempt` when the clock's `timeoutSignal` fires after `limitMs` (a clock other than
 * the real one, or a timeout longer than one timer holds: see `OutgoingSend.arm`); returns what releases
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

