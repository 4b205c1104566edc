/**
 * BullMQ workers that speak surefetch's errors: `surefetch/bullmq` (BullMQ is an optional peer).
 *
 * @example
 * ```ts
 * import { Worker } from 'bullmq';
 * import { bullmqProcessor } from 'surefetch/bullmq';
 * new Worker('orders', bullmqProcessor(async (job) => createOrder(job.data)), { connection });
 * ```
 *
 * @packageDocumentation
 */
import { DelayedError, UnrecoverableError, type Processor } from 'bullmq';
import { queueDecisionOf } from './queues/queue-decision.js';

/**
 * Wraps a BullMQ processor so that what its surefetch calls throw becomes BullMQ's language
 * ({@link queueDecisionOf}):
 *
 * - a wait (`RetryLaterError`, `IDEMPOTENCY_IN_PROGRESS`, an open circuit, a 429 seen through a
 *   client): the job is moved to *delayed* until `retryAt` (`job.moveToDelayed` + `DelayedError`),
 *   which does not use up one of its `attempts`, and the worker is free at once;
 * - a terminal failure (a 400, an auth error, a conflicting or failed scope) or one a person must
 *   look at (`AMBIGUOUS_OUTCOME`, a near match): `UnrecoverableError`, so BullMQ does not retry,
 *   with the code and the client request id in `failedReason` and the original as `cause`;
 * - anything else: rethrown as is, for the job's `attempts` and `backoff`.
 *
 * The idempotency scope should come from the job: BullMQ keeps `job.id` across its retries and
 * delays, so `${job.id}:create-order` is stable; a business key (an order number) is stable even
 * when the same work is enqueued again as a new job.
 *
 * @param processor - the processor; receives the job, its lock token and BullMQ's signal
 * @example
 * ```ts
 * const worker = new Worker<{ orderNumber: string }>('orders', bullmqProcessor(async (job, token, signal) => {
 *   const scope = `order:${job.data.orderNumber}`;
 *   await api.post('v1/orders/create', { json: job.data, signal, surefetch: { idempotencyScope: scope } });
 * }), { connection });
 * ```
 */
export function bullmqProcessor<Data, Result, Name extends string>(
  processor: Processor<Data, Result, Name>,
): Processor<Data, Result, Name> {
  return async function surefetchProcessor(job, token, signal) {
    try {
      return await processor(job, token, signal);
    } catch (error) {
      const decision = queueDecisionOf(error);
      if (decision.action === 'delay') {
        await job.moveToDelayed(decision.retryAt, token);
        throw new DelayedError(`${decision.code}: delayed until ${new Date(decision.retryAt).toISOString()}`);
      }
      if (decision.action === 'fail') {
        const unrecoverable = new UnrecoverableError(decision.message);
        Object.defineProperty(unrecoverable, 'cause', { value: error, configurable: true, writable: true });
        throw unrecoverable;
      }
      throw error;
    }
  };
}
