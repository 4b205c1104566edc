/**
 * Code samples of the guide "Job workers" (docs/guides/job-workers.md). Type-checked with the
 * project, not run; the runnable versions are examples/bullmq-worker.ts and pg-boss-worker.ts.
 */
import { queueDecisionOf, type SureFetch } from 'surefetch';

declare const sureFetch: SureFetch;
declare const url: string;
interface QueueJob {
  readonly id: string;
  readonly data: { readonly orderNumber: string };
  reschedule(at: Date): Promise<void>;
  fail(reason: string): Promise<void>;
}

// #region other-queue
export async function runJob(job: QueueJob): Promise<void> {
  try {
    await sureFetch(url, { method: 'POST', body: JSON.stringify(job.data), surefetch: { idempotencyScope: `order:${job.data.orderNumber}` } });
  } catch (error) {
    const decision = queueDecisionOf(error);
    if (decision.action === 'delay') return job.reschedule(new Date(decision.retryAt));
    if (decision.action === 'fail') return job.fail(decision.message);
    throw error; // decision.action === 'retry': the queue's own retry policy
  }
}
// #endregion other-queue

// #region shutdown
const shutdown = new AbortController();
process.once('SIGTERM', () => shutdown.abort(new Error('worker shutting down')));
export const call = (body: string): Promise<Response> => sureFetch(url, { method: 'POST', body, signal: shutdown.signal });
// #endregion shutdown
