import { factsOf } from '../core/call-facts.js';
import { retryAtOf } from '../clients/retry-at.js';
import { AmbiguousOutcomeError, SurefetchError } from '../errors/errors.js';
import { ExistenceCheckError } from '../errors/existence-check-error.js';
import { HttpError } from '../verdict/http-error.js';
import { IdempotencyError } from '../errors/idempotency-error.js';

/**
 * What a job queue should do with a job whose surefetch call failed:
 *
 * - `delay`: the server (or another worker holding the scope, or an open circuit) said when to
 *   come back; put the job back until `retryAt` without spending one of its attempts.
 * - `fail`: trying again cannot help (a 400, an auth error, a refused redirect, an invalid
 *   request, a conflicting scope) or must not
 *   happen before a person looks (an ambiguous create with nothing to check it, a near match);
 *   end the job failed, with `code` and `message` in its failure reason.
 * - `retry`: a failure that may pass (network, timeout, 5xx on a read, a lookup that could not
 *   decide yet, a proven non-landing); let the queue's own retry policy run.
 */
export type QueueDecision =
  | {
      /** Put the job back until `retryAt`. */
      readonly action: 'delay';
      /** Epoch ms to run the job again. */
      readonly retryAt: number;
      /** Stable code of the error that said when, e.g. `RETRY_LATER`. */
      readonly code: string;
    }
  | {
      /** End the job failed; do not retry it. */
      readonly action: 'fail';
      /** Stable code, e.g. `VALIDATION_ERROR`, `AMBIGUOUS_OUTCOME`. */
      readonly code: string;
      /** For the job's failure reason: the code, what happened and, where known, the client request id. */
      readonly message: string;
    }
  | {
      /** Let the queue retry the job by its own policy. */
      readonly action: 'retry';
      /** Stable code when surefetch decided the error, else `undefined`. */
      readonly code: string | undefined;
    };

// Refusals of the request record that a re-run will meet again unchanged.
const finalIdempotencyCodes = new Set(['IDEMPOTENCY_CONFLICT', 'PREVIOUSLY_FAILED', 'REPLAY_UNAVAILABLE', 'SCOPE_REQUIRED', 'RECORD_UNREADABLE']);

/**
 * Turns what a job's surefetch call threw into the queue's language (see {@link QueueDecision}),
 * seeing through the errors of wrapping clients (ofetch's `FetchError`, ky's `HTTPError`, axios's
 * error, `cause` chains). The BullMQ and pg-boss entries (`surefetch/bullmq`, `surefetch/pg-boss`)
 * apply it; use it directly for another queue.
 *
 * @example
 * ```ts
 * const decision = queueDecisionOf(error);
 * if (decision.action === 'delay') await reschedule(job, decision.retryAt);
 * else if (decision.action === 'fail') await markFailed(job, decision.message);
 * else throw error; // the queue's retry policy
 * ```
 */
export function queueDecisionOf(error: unknown): QueueDecision {
  const known = surefetchErrorIn(error);
  // A create that may have landed is never run again by the queue, whatever wait lies under it.
  if (known instanceof AmbiguousOutcomeError) return { action: 'fail', code: known.code, message: `${known.code}: ${known.message}` };
  const retryAt = retryAtOf(error);
  if (retryAt !== undefined) return { action: 'delay', retryAt, code: known?.code ?? 'RETRY_LATER' };
  if (known === undefined) {
    const facts = factsOf(error);
    if (facts?.verdict !== 'terminal') return { action: 'retry', code: undefined };
    const code = `HTTP_${facts.status}`;
    const message = `${code}: the server refused the request (client request id ${facts.clientRequestId})`;
    return { action: 'fail', code, message };
  }
  const fail = (): QueueDecision => ({ action: 'fail', code: known.code, message: `${known.code}: ${known.message}` });
  if (known instanceof HttpError) return known.verdict === 'terminal' ? fail() : { action: 'retry', code: known.code };
  // A refused redirect or a request that cannot be built fails the same way on every run.
  if ((known as { verdict?: unknown }).verdict === 'terminal' || known.code === 'INVALID_REQUEST') return fail();
  // A run this call waited for gave up on a transient failure: a later re-run may take the scope over.
  const transientlyFailed = known instanceof IdempotencyError && known.previous?.terminal === false;
  if (known instanceof IdempotencyError && finalIdempotencyCodes.has(known.code) && !transientlyFailed) return fail();
  if (known instanceof ExistenceCheckError && known.nearMatches.length > 0) return fail();
  return { action: 'retry', code: known.code };
}

/** The outermost error surefetch decided, on the error itself or along its `cause` chain. */
function surefetchErrorIn(error: unknown): SurefetchError | undefined {
  let current = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth += 1) {
    if (current instanceof SurefetchError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
