/**
 * pg-boss workers that speak surefetch's errors: `surefetch/pg-boss` (pg-boss ≥ 10 is an
 * optional peer; nothing of it is loaded at run time).
 *
 * @example
 * ```ts
 * import { pgBossHandler } from 'surefetch/pg-boss';
 * await boss.work('orders', pgBossHandler(boss, 'orders', async (job) => createOrder(job.data)));
 * ```
 *
 * @packageDocumentation
 */
import type PgBoss from 'pg-boss';
import { queueDecisionOf } from './queues/queue-decision.js';

/** Options of {@link pgBossHandler}. */
export interface PgBossHandlerOptions {
  /**
   * A queue that receives `{ jobId, queue, data, code, message }` for each job ended without a
   * retry (terminal or ambiguous), since pg-boss keeps no reason on a cancelled job.
   * @default undefined (none)
   */
  readonly deadLetter?: string;
  /** Send options of the copy enqueued to run at `retryAt` (retry limit, expiry, ...). @default {} */
  readonly resendOptions?: PgBoss.SendOptions;
}

/** What {@link pgBossHandler} made of one job that did not succeed, stored as the job's output. */
export interface PgBossRescheduled {
  /** The id of the copy that runs at `retryAt`. */
  readonly rescheduledAs: string | null;
  /** When the copy runs (epoch ms). */
  readonly retryAt: number;
  /** The code of the error that said when, e.g. `RETRY_LATER`. */
  readonly code: string;
}

/**
 * Wraps a per-job handler for `boss.work` so that what its surefetch calls throw becomes
 * pg-boss's language ({@link queueDecisionOf}), job by job:
 *
 * - a wait: a copy of the job (same data) is sent to run at `retryAt` (`startAfter`) and this
 *   job completes with a {@link PgBossRescheduled} output. pg-boss has no "retry at T", so the
 *   copy is a **new job with a new id**: build the idempotency scope from a business key in the
 *   job's data (an order number), never from `job.id`;
 * - a terminal or ambiguous failure: the job is cancelled (pg-boss retries every failure while
 *   retries remain) and, with `deadLetter`, the reason is sent there;
 * - anything else: the job fails with the error, for pg-boss's own retry (same job id).
 *
 * @param boss - the started pg-boss instance
 * @param queue - the queue the handler works
 * @param handler - does one job; its result is the job's output
 * @param options - where reasons go, how the copy is sent
 * @example
 * ```ts
 * await boss.work<{ orderNumber: string }>('orders', pgBossHandler(boss, 'orders', async (job) => {
 *   await api.post('v1/orders/create', { json: job.data, surefetch: { idempotencyScope: `order:${job.data.orderNumber}` } });
 * }, { deadLetter: 'orders-failed' }));
 * ```
 */
export function pgBossHandler<Data extends object>(
  boss: PgBoss,
  queue: string,
  handler: (job: PgBoss.Job<Data>) => Promise<unknown>,
  options: PgBossHandlerOptions = {},
): PgBoss.WorkHandler<Data> {
  const { deadLetter, resendOptions = {} } = options;
  const settle = async (job: PgBoss.Job<Data>, error: unknown): Promise<void> => {
    const decision = queueDecisionOf(error);
    if (decision.action === 'delay') {
      const copy = await boss.send(queue, job.data, { ...resendOptions, startAfter: new Date(decision.retryAt) });
      const output: PgBossRescheduled = { rescheduledAs: copy, retryAt: decision.retryAt, code: decision.code };
      await boss.complete(queue, job.id, output);
      return;
    }
    if (decision.action === 'fail') {
      const reason = { jobId: job.id, queue, data: job.data, code: decision.code, message: decision.message };
      if (deadLetter !== undefined) await boss.send(deadLetter, reason);
      await boss.cancel(queue, job.id);
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    await boss.fail(queue, job.id, { code: decision.code ?? null, message });
  };
  // Each job is settled on its own (complete, cancel or fail), so a batch never fails as a whole;
  // pg-boss's own completion afterwards finds them settled and changes nothing.
  return async function surefetchJobs(jobs: PgBoss.Job<Data>[]): Promise<void> {
    for (const job of jobs) {
      try {
        const result = await handler(job);
        // pg-boss stores an object as the output; anything else the way its own completion does.
        const output = typeof result === 'object' && result !== null ? result : { value: result ?? null };
        await boss.complete(queue, job.id, output);
      } catch (error) {
        await settle(job, error);
      }
    }
  };
}
