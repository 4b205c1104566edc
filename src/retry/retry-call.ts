import pRetry from 'p-retry';
import { backoffDelayMs } from '../verdict/backoff.js';
import { classifyError, classifyResponse, type Classification } from '../verdict/classify.js';
import { AmbiguousOutcomeError, AttemptTimeoutError, BodyNotReplayableError, CircuitOpenError, DeadlineExceededError, RetryLaterError } from '../errors/errors.js';
import { noteCall } from '../core/call-facts.js';
import { attemptContext, contextWith } from '../core/derive-context.js';
import { eventOf } from '../core/event-of.js';
import type { SendTally } from '../core/send-tally.js';
import { toHttpError } from '../verdict/http-error.js';
import { discardBody } from '../verdict/response-body.js';
import { refusalGivenUp } from '../rate-limit/middleware.js';
import { parseServerWait } from '../verdict/server-wait.js';
import { AttemptFailure, consultGuard } from './attempt-failure.js';
import { giveUp } from './retry-events.js';
import { settleOnGiveUp, type SettledOutcome } from './settle-ambiguous.js';
import type { AttemptOutcome, CallContext, Next } from '../core/types.js';
import { longWaitReason } from '../verdict/wait-policy.js';
import type { RetrySettings } from './retry-options.js';

/**
 * One call through a `retry` layer: what its attempts share (the previous outcome, the last
 * ambiguous one, the waits taken, the retry tokens drawn). An object with methods, not a set
 * of closures, so that the call every request makes costs one allocation, and what handles
 * failures is touched only by a call that has one. @internal
 */
export class RetryCall {
  private previous: AttemptOutcome | undefined;
  private lastAmbiguous: AttemptOutcome | undefined;
  private waits = 0;
  private retryTokens: number | undefined;
  private readonly ctx: CallContext;
  private readonly next: Next;
  private readonly settings: RetrySettings;
  private readonly api: string;
  private readonly maxWaitMs: number;
  private readonly sends: SendTally;

  constructor(ctx: CallContext, next: Next, settings: RetrySettings, api: string, maxWaitMs: number, sends: SendTally) {
    this.ctx = ctx;
    this.next = next;
    this.settings = settings;
    this.api = api;
    this.maxWaitMs = maxWaitMs;
    this.sends = sends;
  }

  /**
   * Attempt 1, then p-retry from its outcome when it failed (or the caller left meanwhile): the
   * path of every call. Most calls need no more than attempt 1, which goes without p-retry, and
   * without listeners in one `then`.
   */
  start(): Promise<Response> {
    // p-retry looks at the signal before and after each attempt: an abort takes its path.
    if (this.ctx.signal.aborted) return this.retryFrom((attempt) => this.attemptOnce(attempt));
    const actx = attemptContext(this.ctx, 1, undefined, this.maxWaitMs, this.sends);
    return this.sendOnce(actx).then((response) => {
      const refusal = this.judge(1, actx, response);
      if (refusal === undefined && !this.ctx.signal.aborted) return response;
      return this.afterFirst(() => (refusal === undefined ? response : this.refused(1, actx, response, refusal)));
    }, (error: unknown) => this.afterFirst(() => this.failed(1, actx, error)));
  }

  // p-retry takes over with attempt 1's outcome replayed as its own first attempt.
  private afterFirst(first: () => Response | Promise<Response>): Promise<Response> {
    return this.retryFrom((attempt) => (attempt === 1 ? Promise.resolve().then(first) : this.attemptOnce(attempt)));
  }

  private sendOnce(actx: CallContext): Promise<Response> {
    try {
      return Promise.resolve(this.next(actx));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Sends attempt `attempt`: its answer on success, else rejects with an {@link AttemptFailure}. */
  attemptOnce(attempt: number): Promise<Response> {
    const actx = attemptContext(this.ctx, attempt, this.previous, this.maxWaitMs, this.sends);
    // An earlier ambiguous attempt to consult: the full path.
    if (this.lastAmbiguous !== undefined) return this.attemptGuarded(attempt, actx, this.lastAmbiguous);
    // Otherwise (nearly every attempt) no async frame of its own.
    return this.sendOnce(actx).then(
      (response) => {
        const refusal = this.judge(attempt, actx, response);
        return refusal === undefined ? response : this.refused(attempt, actx, response, refusal);
      },
      (error: unknown) => this.failed(attempt, actx, error),
    );
  }

  // An attempt guarded by an earlier ambiguous one (which may still land). Its `attempt` events
  // are the terminal send's, as every send's are.
  private async attemptGuarded(attempt: number, actx: CallContext, ambiguous: AttemptOutcome): Promise<Response> {
    const decision = await consultGuard(actx, ambiguous);
    if (decision?.action === 'recovered') return decision.response;
    let response: Response;
    try {
      response = await this.next(actx);
    } catch (error) {
      return this.failed(attempt, actx, error);
    }
    const refusal = this.judge(attempt, actx, response);
    if (refusal === undefined) return response;
    const reconciled = decision?.reconcile === undefined ? undefined : await decision.reconcile(response, actx);
    if (reconciled !== undefined) {
      await discardBody(response);
      actx.emit(eventOf(actx, { type: 'recovered', via: 'duplicate' }));
      return reconciled;
    }
    return this.refused(attempt, actx, response, refusal);
  }

  // Classifies an answer: a success is counted and noted (`undefined`); otherwise its classification.
  private judge(attempt: number, actx: CallContext, response: Response): Classification | undefined {
    const classification = classifyResponse(response.status, response.headers, this.ctx.route, actx.clock.now());
    if (classification.verdict !== 'success') return classification;
    this.settings.budget?.deposit(this.api, this.retryTokens);
    // Only a client-mode call reads the note (its facts); a returned answer below 400 needs none.
    if (!actx.throwHttpErrors) noteCall(response, { attempts: attempt, clientRequestId: actx.clientRequestId });
    return undefined;
  }

  private failed(attempt: number, actx: CallContext, error: unknown): never {
    const classification = classifyError(error, this.ctx.signal);
    return this.refused(attempt, actx, undefined, classification, error);
  }

  // Records a failed attempt (an answer that is no success, or what the send threw) and throws it.
  private refused(attempt: number, actx: CallContext, response: Response | undefined, classification: Classification, error?: unknown): never {
    const { verdict, sent } = classification;
    const previous: AttemptOutcome = response === undefined ? { attempt, verdict, sent, error } : { attempt, verdict, sent, status: response.status };
    this.previous = previous;
    if (sent === 'ambiguous') this.lastAmbiguous = previous;
    throw new AttemptFailure({ ...previous, classification }, actx, response);
  }

  /**
   * Goes on after attempt 1 with p-retry, whose first attempt is `first(1)` (attempt 1's
   * outcome, replayed), so that every step after it is p-retry's own.
   */
  async retryFrom(first: (attempt: number) => Promise<Response>): Promise<Response> {
    const { ctx } = this;
    const { maxAttempts } = this.settings;
    try {
      return await pRetry(first, {
        retries: Math.max(0, maxAttempts - 1),
        minTimeout: 0,
        signal: ctx.signal,
        shouldConsumeRetry: ({ error }) => !(error instanceof AttemptFailure && error.outcome.classification.verdict === 'wait'),
        shouldRetry: ({ error }) => (error instanceof AttemptFailure ? this.decide(error) : false),
      });
    } catch (error) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const last: CallContext = contextWith(ctx, { attempt: this.previous?.attempt ?? 1 });
      const failure = error instanceof AttemptFailure ? error : undefined;
      const keepResponse = failure?.response !== undefined && !ctx.throwHttpErrors;
      // The deadline passed before a later send left: the earlier ambiguous one is what to settle,
      // and what the call ends with (not an error that says nothing was sent).
      const earlier = this.previous?.sent === 'not-sent' && failure?.outcome.error instanceof DeadlineExceededError ? this.lastAmbiguous : undefined;
      const lastError =
        earlier !== undefined
          ? new DeadlineExceededError({ operation: ctx.operation, attempts: Math.max(earlier.attempt, this.sends.sent) }, earlier.error === undefined ? undefined : { cause: earlier.error })
          : failure === undefined ? error : keepResponse ? failure.outcome.error : await this.finalError(failure);
      let settled: SettledOutcome | undefined;
      try {
        settled = await settleOnGiveUp(ctx, earlier ?? this.previous, error, lastError);
      } catch (settleError) {
        throw giveUp(last, settleError);
      }
      if (settled?.landed === true) {
        if (failure?.response !== undefined) await discardBody(failure.response);
        return settled.response;
      }
      if (keepResponse && failure?.response !== undefined) {
        return noteCall(failure.response, { attempts: failure.outcome.attempt, clientRequestId: failure.ctx.clientRequestId });
      }
      throw giveUp(last, settled?.landed === false ? settled.error : lastError);
    }
  }

  private async decide(failure: AttemptFailure): Promise<boolean> {
    const { ctx, settings, sends, maxWaitMs } = this;
    const { classification } = failure.outcome;
    const { attempt, status, error } = failure.outcome;
    const override = settings.shouldRetry?.({ attempt, classification, status, error, ctx: failure.ctx });
    if (override === false) return false;
    if (override !== true && (classification.verdict === 'terminal' || classification.verdict === 'success')) return false;
    // The call's sends are spent (a layer inside re-sent too): give up with this answer.
    if (!sends.mayResend()) return false;
    if (!ctx.request.replayable) throw new BodyNotReplayableError(ctx.operation, { cause: await this.finalError(failure) });
    if (classification.sent === 'ambiguous' && !ctx.idempotent && ctx.resendGuard === undefined) {
      throw new AmbiguousOutcomeError(
        { clientRequestId: ctx.clientRequestId, attempts: Math.max(failure.outcome.attempt, this.sends.sent), operation: ctx.operation, reason: classification.reason, ...(failure.outcome.status === undefined ? {} : { status: failure.outcome.status }) },
        { cause: await this.finalError(failure) },
      );
    }
    if (classification.verdict === 'wait') {
      // rateLimit inside already re-sent it as often as it may: the limits do not multiply.
      if (failure.response !== undefined && refusalGivenUp(failure.response)) return false;
      this.waits += 1;
      if (this.waits > settings.maxWaits) return false;
      await this.serverWait(failure);
      return true;
    }
    this.retryTokens = settings.budget?.withdraw(this.api, failure.outcome.error instanceof AttemptTimeoutError);
    if (settings.budget !== undefined && this.retryTokens === undefined) return false;
    const delayMs = backoffDelayMs(failure.outcome.attempt, { baseMs: settings.baseDelayMs, maxMs: settings.maxDelayMs, random: ctx.random });
    const now = ctx.clock.now();
    if (ctx.deadline !== undefined && now + delayMs >= ctx.deadline) {
      throw new DeadlineExceededError({ operation: ctx.operation, attempts: failure.outcome.attempt }, { cause: await this.finalError(failure) });
    }
    if (delayMs > maxWaitMs) {
      const init = { retryAt: now + delayMs, delayMs, reason: `exceeds maxWaitMs ${maxWaitMs}`, operation: ctx.operation, wait: `retry's backoff of ${delayMs} ms` };
      throw new RetryLaterError(init, { cause: await this.finalError(failure, now + delayMs) });
    }
    if (failure.response !== undefined) await discardBody(failure.response);
    failure.ctx.emit(eventOf(failure.ctx, { type: 'retry', delayMs, reason: classification.reason }));
    await ctx.clock.sleep(delayMs, ctx.signal);
    return true;
  }

  private async serverWait(failure: AttemptFailure): Promise<void> {
    const { ctx, settings, maxWaitMs } = this;
    const now = ctx.clock.now();
    const { error } = failure.outcome;
    const parsed = failure.response === undefined ? undefined : parseServerWait(failure.response.headers, { now, skewMarginMs: settings.skewMarginMs });
    const circuitDelayMs = error instanceof CircuitOpenError ? Math.max(0, error.retryAt - now) : undefined;
    const delayMs = parsed?.delayMs ?? circuitDelayMs ?? Math.min(settings.maxDelayMs, settings.fallbackWaitMs * 2 ** (this.waits - 1));
    const retryAt = now + delayMs;
    const tooLong = longWaitReason(ctx, retryAt, now, maxWaitMs);
    if (tooLong !== undefined) {
      // Whose wait it is: the server's time, the open circuit's, or retry's own fallback.
      const ms = Math.ceil(delayMs);
      const wait = parsed !== undefined ? undefined : circuitDelayMs !== undefined ? `the circuit breaker holds the API for ${ms} ms` : `the server gave no usable time, and retry's fallback wait is ${ms} ms`;
      throw new RetryLaterError({ retryAt, delayMs, reason: tooLong, operation: ctx.operation, ...(wait === undefined ? {} : { wait }) }, { cause: await this.finalError(failure, retryAt) });
    }
    if (failure.response !== undefined) await discardBody(failure.response);
    failure.ctx.emit(eventOf(failure.ctx, { type: 'wait', delayMs, retryAt, source: parsed?.source ?? (circuitDelayMs === undefined ? 'fallback' : 'circuit-breaker') }));
    await ctx.clock.sleep(delayMs, ctx.signal);
  }

  private async finalError(failure: AttemptFailure, retryAt?: number): Promise<unknown> {
    if (failure.response === undefined) return failure.outcome.error;
    const { verdict, sent } = failure.outcome;
    return toHttpError(failure.response, failure.ctx, { attempts: failure.outcome.attempt, verdict, sent, ...(retryAt === undefined ? {} : { retryAt }) });
  }

}
