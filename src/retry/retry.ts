import pRetry from 'p-retry';
import { backoffDelayMs } from '../verdict/backoff.js';
import { classifyError, classifyResponse, type Classification } from '../verdict/classify.js';
import { AmbiguousOutcomeError, AttemptTimeoutError, BodyNotReplayableError, CircuitOpenError, DeadlineExceededError, RetryLaterError } from '../errors/errors.js';
import { noteCall } from '../core/call-facts.js';
import { createSendTally } from '../core/send-tally.js';
import { attemptContext } from '../core/derive-context.js';
import { eventBase } from '../core/events.js';
import { noEvents } from '../core/no-events.js';
import { toHttpError } from '../verdict/http-error.js';
import { discardBody } from '../verdict/response-body.js';
import { apiKeyOf } from '../rate-limit/limiter.js';
import { refusalGivenUp } from '../rate-limit/middleware.js';
import { createRetryBudget, type RetryBudget } from './retry-budget.js';
import { parseServerWait } from '../verdict/server-wait.js';
import { AttemptFailure, consultGuard, GuardFailure } from './attempt-failure.js';
import { emitEnd, giveUp } from './retry-events.js';
import { settleAmbiguous, type SettledOutcome } from './settle-ambiguous.js';
import { firstAttempt } from './first-attempt.js';
import type { AttemptOutcome, CallContext, Middleware, Next } from '../core/types.js';
import { longWaitReason, maxWaitOf } from '../verdict/wait-policy.js';

import type { RetryOptions } from './retry-options.js';
export type { RetryDecisionInfo, RetryOptions } from './retry-options.js';

/**
 * Retries transient failures with exponential backoff and full jitter, honours server-directed
 * waits (bounded by `maxWaitMs` and the call's deadline, always abortable), and never re-sends
 * a non-idempotent request after an ambiguous attempt unless the context's `resendGuard`
 * (written by the idempotency layer) allows it. Built on p-retry; waits go through the clock.
 *
 * @example
 * ```ts
 * const sureFetch = createFetch({ middleware: [retry({ maxAttempts: 5, maxWaitMs: 30_000 })] });
 * ```
 */
export function retry(options: RetryOptions = {}): Middleware {
  const {
    maxAttempts = 4,
    baseDelayMs = 300,
    maxDelayMs = 20_000,
    maxWaits = 5,
    fallbackWaitMs = 1000,
    skewMarginMs = 1000,
    shouldRetry: userShouldRetry,
  } = options;
  const budget = options.budget === false ? undefined : (options.budget ?? createRetryBudget());

  return async function retryMiddleware(ctx: CallContext, next: Next): Promise<Response> {
    let previous: AttemptOutcome | undefined;
    let waits = 0;
    let retryTokens: number | undefined;
    let lastAmbiguous: AttemptOutcome | undefined;
    const api = apiKeyOf(ctx.request);
    // One bound for every wait of the call, handed to the layers inside.
    const maxWaitMs = maxWaitOf(ctx, options.maxWaitMs);
    // One count of sends for the call, whichever layer re-sends: maxAttempts bounds them all.
    const sends = ctx.sends ?? createSendTally();
    sends.bound(maxAttempts);

    const attemptOnce = async (attempt: number): Promise<Response> => {
      const actx = attemptContext(ctx, attempt, previous, maxWaitMs, sends);
      // Any earlier ambiguous attempt may still land, so every later send is guarded.
      const decision = lastAmbiguous === undefined ? undefined : await consultGuard(actx, lastAmbiguous);
      if (decision?.action === 'recovered') return decision.response;
      const listened = actx.emit !== noEvents;
      if (listened) actx.emit({ ...eventBase(actx), type: 'attempt' });
      const started = listened ? actx.clock.now() : 0;
      let response: Response;
      try {
        response = await next(actx);
      } catch (error) {
        const classification = classifyError(error, ctx.signal);
        previous = { attempt, verdict: classification.verdict, sent: classification.sent, error };
        if (previous.sent === 'ambiguous') lastAmbiguous = previous;
        if (listened) emitEnd(actx, classification, started, undefined, error);
        throw new AttemptFailure({ ...previous, classification }, actx, undefined);
      }
      const classification = classifyResponse(response.status, response.headers, ctx.route, actx.clock.now());
      if (listened) emitEnd(actx, classification, started, response.status, undefined);
      if (classification.verdict === 'success') {
        budget?.deposit(api, retryTokens);
        return noteCall(response, { attempts: attempt, clientRequestId: actx.clientRequestId });
      }
      const reconciled = decision?.reconcile === undefined ? undefined : await decision.reconcile(response, actx);
      if (reconciled !== undefined) {
        await discardBody(response);
        actx.emit({ ...eventBase(actx), type: 'recovered', via: 'duplicate' });
        return reconciled;
      }
      previous = { attempt, verdict: classification.verdict, sent: classification.sent, status: response.status };
      if (previous.sent === 'ambiguous') lastAmbiguous = previous;
      throw new AttemptFailure({ ...previous, classification }, actx, response);
    };
    // Most calls end here: what handles failures is only created for a call that has one.
    const firstOutcome = await firstAttempt(ctx.signal, attemptOnce);
    if (typeof firstOutcome !== 'function') return firstOutcome;
    const decide = async (failure: AttemptFailure): Promise<boolean> => {
      const { classification } = failure.outcome;
      const { attempt, status, error } = failure.outcome;
      const override = userShouldRetry?.({ attempt, classification, status, error, ctx: failure.ctx });
      if (override === false) return false;
      if (override !== true && (classification.verdict === 'terminal' || classification.verdict === 'success')) return false;
      // The call's sends are spent (a layer inside re-sent too): give up with this answer.
      if (!sends.mayResend()) return false;
      if (!ctx.request.replayable) throw new BodyNotReplayableError(ctx.operation, { cause: await finalError(failure) });
      if (classification.sent === 'ambiguous' && !ctx.idempotent && ctx.resendGuard === undefined) {
        throw new AmbiguousOutcomeError(
          { clientRequestId: ctx.clientRequestId, attempts: failure.outcome.attempt, operation: ctx.operation, reason: classification.reason, ...(failure.outcome.status === undefined ? {} : { status: failure.outcome.status }) },
          { cause: await finalError(failure) },
        );
      }
      if (classification.verdict === 'wait') {
        // rateLimit inside already re-sent it as often as it may: the limits do not multiply.
        if (failure.response !== undefined && refusalGivenUp(failure.response)) return false;
        waits += 1;
        if (waits > maxWaits) return false;
        await serverWait(failure);
        return true;
      }
      retryTokens = budget?.withdraw(api, failure.outcome.error instanceof AttemptTimeoutError);
      if (budget !== undefined && retryTokens === undefined) return false;
      const delayMs = backoffDelayMs(failure.outcome.attempt, { baseMs: baseDelayMs, maxMs: maxDelayMs, random: ctx.random });
      const now = ctx.clock.now();
      if (ctx.deadline !== undefined && now + delayMs >= ctx.deadline) {
        throw new DeadlineExceededError({ operation: ctx.operation, attempts: failure.outcome.attempt }, { cause: await finalError(failure) });
      }
      if (delayMs > maxWaitMs) {
        const init = { retryAt: now + delayMs, delayMs, reason: `exceeds maxWaitMs ${maxWaitMs}`, operation: ctx.operation };
        throw new RetryLaterError(init, { cause: await finalError(failure, now + delayMs) });
      }
      if (failure.response !== undefined) await discardBody(failure.response);
      failure.ctx.emit({ ...eventBase(failure.ctx), type: 'retry', delayMs, reason: classification.reason });
      await ctx.clock.sleep(delayMs, ctx.signal);
      return true;
    };

    const serverWait = async (failure: AttemptFailure): Promise<void> => {
      const now = ctx.clock.now();
      const { error } = failure.outcome;
      const parsed = failure.response === undefined ? undefined : parseServerWait(failure.response.headers, { now, skewMarginMs });
      const circuitDelayMs = error instanceof CircuitOpenError ? Math.max(0, error.retryAt - now) : undefined;
      const delayMs = parsed?.delayMs ?? circuitDelayMs ?? Math.min(maxDelayMs, fallbackWaitMs * 2 ** (waits - 1));
      const retryAt = now + delayMs;
      const tooLong = longWaitReason(ctx, retryAt, now, maxWaitMs);
      if (tooLong !== undefined) {
        throw new RetryLaterError({ retryAt, delayMs, reason: tooLong, operation: ctx.operation }, { cause: await finalError(failure, retryAt) });
      }
      if (failure.response !== undefined) await discardBody(failure.response);
      failure.ctx.emit({ ...eventBase(failure.ctx), type: 'wait', delayMs, retryAt, source: parsed?.source ?? (circuitDelayMs === undefined ? 'fallback' : 'circuit-breaker') });
      await ctx.clock.sleep(delayMs, ctx.signal);
    };

    const finalError = async (failure: AttemptFailure, retryAt?: number): Promise<unknown> => {
      if (failure.response === undefined) return failure.outcome.error;
      const { verdict, sent } = failure.outcome;
      return toHttpError(failure.response, failure.ctx, { attempts: failure.outcome.attempt, verdict, sent, ...(retryAt === undefined ? {} : { retryAt }) });
    };

    // Giving up with the last attempt ambiguous: look once more, so that "failed" is never said
    // of a create that landed (found: the result; proven absent: NotAppliedError).
    const settleOnGiveUp = async (error: unknown, lastError: unknown): Promise<SettledOutcome | undefined> => {
      const last = previous;
      const settles = error instanceof DeadlineExceededError || (error instanceof AttemptFailure && !(error instanceof GuardFailure));
      if (!settles || last?.sent !== 'ambiguous' || ctx.idempotent || ctx.resendGuard === undefined) return undefined;
      const failure = error instanceof AttemptFailure ? error : undefined;
      const sctx: CallContext = failure?.ctx ?? Object.freeze({ ...ctx, attempt: last.attempt, previous: last });
      const why = failure?.outcome.classification.reason ?? 'an ambiguous attempt';
      return settleAmbiguous(sctx, last, lastError, error instanceof DeadlineExceededError ? 'the deadline passed' : `attempts ran out after ${why}`);
    };
    try {
      return await pRetry(firstOutcome, {
        retries: Math.max(0, maxAttempts - 1),
        minTimeout: 0,
        signal: ctx.signal,
        shouldConsumeRetry: ({ error }) => !(error instanceof AttemptFailure && error.outcome.classification.verdict === 'wait'),
        shouldRetry: ({ error }) => (error instanceof AttemptFailure ? decide(error) : false),
      });
    } catch (error) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const last: CallContext = { ...ctx, attempt: previous?.attempt ?? 1 };
      const failure = error instanceof AttemptFailure ? error : undefined;
      const keepResponse = failure?.response !== undefined && !ctx.throwHttpErrors;
      const lastError = failure === undefined ? error : keepResponse ? failure.outcome.error : await finalError(failure);
      let settled: SettledOutcome | undefined;
      try {
        settled = await settleOnGiveUp(error, lastError);
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
  };
}
