import { AttemptTimeoutError, RetryLaterError } from '../errors/errors.js';
import { longWaitReason, maxWaitOf } from '../verdict/wait-policy.js';
import type { UnansweredSend } from '../store/record.js';
import type { AttemptOutcome, CallContext, ResendDecision, ResendGuard } from '../core/types.js';

/**
 * What one protected call knows of its sends: when the latest went out, and the latest that
 * timed out unanswered (carried over from the scope's record when a re-run takes it over).
 * @internal
 */
export class SendLog {
  private lastSentAt: number | undefined;
  private unanswered: UnansweredSend | undefined;

  /**
   * @param recorded - what the scope's record says of an earlier run's unanswered send, if anything
   * @param sentAt - when the call's first send went out, when it is already known
   */
  constructor(recorded: unknown, sentAt?: number) {
    this.unanswered = isUnansweredSend(recorded) ? recorded : undefined;
    this.lastSentAt = sentAt;
  }

  /** A send is going out now. */
  sent(now: number): void {
    this.lastSentAt = now;
  }

  /**
   * An attempt ended in `error` (as the resend guard hears of it, or as the call's own error
   * when no retry layer is below): a timeout marks the latest send unanswered. Only the error
   * itself counts: a cause may be a lookup's timeout, not the create's.
   */
  ended(error: unknown): void {
    if (error instanceof AttemptTimeoutError && this.lastSentAt !== undefined) this.unanswered = { sentAt: this.lastSentAt, waitedMs: error.timeoutMs };
  }

  /**
   * `decide` as a resend guard that keeps this log: it hears how each ambiguous attempt ended
   * before deciding, and a re-send it allows is noted (by `onResend`, which may also record it,
   * else here) before it goes out.
   */
  guard(decide: (ctx: CallContext, previous: AttemptOutcome) => Promise<ResendDecision>, onResend?: (ctx: CallContext) => Promise<void>): ResendGuard {
    return async (ctx, previous, intent = 'resend') => {
      this.ended(previous.error);
      const decision = await decide(ctx, previous);
      if (decision.action === 'resend' && intent === 'resend') await (onResend === undefined ? this.sent(ctx.clock.now()) : onResend(ctx));
      return decision;
    };
  }

  /** The latest send that timed out unanswered, in this run or an earlier one. */
  latestUnanswered(): UnansweredSend | undefined {
    return this.unanswered;
  }
}

// A stored record is read back from a store that may hold anything: only a well-formed value counts.
function isUnansweredSend(value: unknown): value is UnansweredSend {
  const send = value as Partial<UnansweredSend> | null | undefined;
  return typeof send === 'object' && send !== null && Number.isFinite(send.sentAt) && Number.isFinite(send.waitedMs) && (send.waitedMs ?? -1) >= 0;
}

/**
 * The existence check's delays before each read: the settle delays, and one more read when they
 * would end before `unanswered` could have landed (its send plus `lifetimeMs`, by default twice
 * the timeout it waited). `now` is when the reads begin.
 * @internal
 */
export function readsCovering(settleDelaysMs: readonly number[], now: number, unanswered: UnansweredSend | undefined, lifetimeMs: number | undefined): readonly number[] {
  if (unanswered === undefined) return settleDelaysMs;
  const lastReadAt = now + settleDelaysMs.reduce((sum, ms) => sum + ms, 0);
  const landedBy = unanswered.sentAt + (lifetimeMs ?? 2 * unanswered.waitedMs);
  return lastReadAt >= landedBy ? settleDelaysMs : [...settleDelaysMs, landedBy - lastReadAt];
}

/**
 * A `RetryLaterError` when waiting `delayMs` for the read that covers an unanswered send would
 * exceed the call's `maxWaitMs` or pass its deadline, else `undefined`. For a call with a scope,
 * a re-run at `retryAt` finds the send in the scope's record and reads then.
 * @internal
 */
export function holdRefusal(ctx: CallContext, delayMs: number): RetryLaterError | undefined {
  const now = ctx.clock.now();
  const reason = longWaitReason(ctx, now + delayMs, now, maxWaitOf(ctx, undefined));
  if (reason === undefined) return undefined;
  const wait = `a create that timed out may still land for ${String(Math.ceil(delayMs))} ms (requestLifetimeMs)`;
  return new RetryLaterError({ retryAt: now + delayMs, delayMs, reason, operation: ctx.operation, wait });
}
