import { eventOf } from '../core/event-of.js';
import type { AttemptOutcome, CallContext, ResendDecision } from '../core/types.js';
import type { Classification } from '../verdict/classify.js';

/** What one failed attempt left behind, carried through p-retry as the thrown error. */
export class AttemptFailure extends Error {
  readonly outcome: AttemptOutcome & { readonly classification: Classification };
  readonly ctx: CallContext;
  readonly response: Response | undefined;

  constructor(outcome: AttemptOutcome & { readonly classification: Classification }, ctx: CallContext, response: Response | undefined) {
    super(outcome.classification.reason);
    this.outcome = outcome;
    this.ctx = ctx;
    this.response = response;
  }
}


/** The resend guard itself failed (the existence check could not decide): the call fails closed. */
export class GuardFailure extends AttemptFailure {}

/** Consults the resend guard before an attempt that follows an ambiguous one; throws a {@link GuardFailure} when it cannot decide. */
export async function consultGuard(ctx: CallContext, previous: AttemptOutcome | undefined): Promise<ResendDecision | undefined> {
  if (previous === undefined || previous.sent !== 'ambiguous' || ctx.idempotent || ctx.resendGuard === undefined) return undefined;
  let decision;
  try {
    decision = await ctx.resendGuard(ctx, previous);
  } catch (error) {
    throw new GuardFailure({ ...previous, classification: { verdict: 'terminal', sent: 'ambiguous', reason: 'the existence check could not decide' }, error }, ctx, undefined);
  }
  if (decision.action === 'recovered') ctx.emit(eventOf(ctx, { type: 'recovered', via: 'lookup' }));
  return decision;
}
