import { AmbiguousOutcomeError, DeadlineExceededError, RetryLaterError } from '../errors/errors.js';
import { AttemptFailure, GuardFailure } from './attempt-failure.js';
import { eventOf } from '../core/event-of.js';
import { NotAppliedError } from '../errors/not-applied-error.js';
import type { AttemptOutcome, CallContext } from '../core/types.js';
import { contextWith } from '../core/derive-context.js';

/** What a call that is giving up after an ambiguous attempt turns out to be. */
export type SettledOutcome =
  /** The create landed: its resource is the call's result. */
  | { readonly landed: true; readonly response: Response }
  /** It did not land: the error to reject with says so. */
  | { readonly landed: false; readonly error: NotAppliedError }
  /** The guard allows a re-send without knowing (an idempotency key): the last error stands. */
  | { readonly landed: undefined };

/**
 * Before a protected create gives up (out of attempts, past its deadline) with its last attempt
 * ambiguous, asks the resend guard — the existence check — once more, sending nothing: a found
 * resource becomes the call's result, proven absence a {@link NotAppliedError}, and a check
 * that cannot decide an {@link AmbiguousOutcomeError}. "Failed" is never said of a create that
 * may have landed. A guard that allows re-sends without looking (an idempotency key) leaves
 * the last error as it is.
 *
 * @example
 * ```ts
 * const settled = await settleAmbiguous(ctx, previous, lastError, 'attempts ran out');
 * if (settled.landed) return settled.response;
 * ```
 */
export async function settleAmbiguous(ctx: CallContext, previous: AttemptOutcome, lastError: unknown, reason: string): Promise<SettledOutcome> {
  const guard = ctx.resendGuard;
  const status = previous.status === undefined ? {} : { status: previous.status };
  const facts = { clientRequestId: ctx.clientRequestId, attempts: previous.attempt, operation: ctx.operation };
  if (guard === undefined) throw new AmbiguousOutcomeError({ ...facts, ...status, reason }, { cause: lastError });
  let decision;
  try {
    decision = await guard(ctx, previous, 'final');
  } catch (error) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    // The check says when it can decide: that stands for a call with a scope, whose re-run looks
    // before sending (one without a scope would be sent again blind).
    if (error instanceof RetryLaterError && ctx.idempotencyScope !== undefined && ctx.idempotencyScope !== '') throw error;
    const why = error instanceof Error ? error.message : String(error);
    throw new AmbiguousOutcomeError({ ...facts, ...status, reason: `${reason}, and the last look could not decide: ${why}` }, { cause: lastError });
  }
  if (decision.action === 'recovered') {
    ctx.emit(eventOf(ctx, { type: 'recovered', via: 'lookup' }));
    return { landed: true, response: decision.response };
  }
  if (decision.absent !== true) return { landed: undefined };
  return { landed: false, error: new NotAppliedError({ ...facts, reason }, { cause: lastError }) };
}

// Giving up with the last attempt ambiguous: look once more, so that "failed" is never said
// of a create that landed (found: the result; proven absent: NotAppliedError).
/** @internal */
export async function settleOnGiveUp(ctx: CallContext, last: AttemptOutcome | undefined, error: unknown, lastError: unknown): Promise<SettledOutcome | undefined> {
  // A call without a scope that would hand its wait to a job queue settles too: nothing remembers
  // it, so the queue's re-run would send the create again without looking.
  const unscopedLater = error instanceof RetryLaterError && (ctx.idempotencyScope === undefined || ctx.idempotencyScope === '');
  const settles = unscopedLater || error instanceof DeadlineExceededError || (error instanceof AttemptFailure && !(error instanceof GuardFailure));
  if (!settles || last?.sent !== 'ambiguous' || ctx.idempotent || ctx.resendGuard === undefined) return undefined;
  const failure = error instanceof AttemptFailure ? error : undefined;
  const sctx: CallContext = failure?.ctx ?? contextWith(ctx, { attempt: last.attempt, previous: last });
  const why = failure?.outcome.classification.reason ?? 'an ambiguous attempt';
  const reason = error instanceof DeadlineExceededError ? 'the deadline passed' : error instanceof RetryLaterError ? `the wait before a re-send ${error.reason}` : `attempts ran out after ${why}`;
  // The wait not taken is not the create's outcome: an undecided look is ambiguous because of the
  // attempt's own error, and must not carry a `retryAt` that a queue would act on.
  const cause = error instanceof RetryLaterError ? error.cause : lastError;
  return settleAmbiguous(sctx, last, cause, reason);
}
