/**
 * Code samples of the guide "Rate limits: one budget per API" (docs/guides/rate-limits.md).
 * Type-checked with the project (`npm run typecheck`), not run; what they rely on is tested in
 * test/rate-limit.test.ts, test/rate-limit-budget.test.ts, test/rate-limit-partitions.test.ts,
 * test/rate-limit-verify.test.ts, test/rate-limit-throttle.test.ts,
 * test/rate-limit-reset-trust.test.ts, test/rate-limit-redis.test.ts,
 * test/rate-limit-redis-frozen.test.ts, test/rate-limit-pipeline.test.ts,
 * test/wait-policy.test.ts, test/attempts-count.test.ts, test/queue-decision.test.ts and
 * test/send-events.test.ts.
 */
import { circuitBreaker, createFetch, queueDecisionOf, rateLimit, retry, type SurefetchEvent } from 'surefetch';
import { rateLimitRedis } from 'surefetch/rate-limit-redis';

declare const metrics: { observe(name: string, valueMs: number, labels: Record<string, string>): void };
interface QueueJob {
  readonly data: { readonly query: string };
  reschedule(at: Date): Promise<void>;
  fail(reason: string): Promise<void>;
}

// #region setup
// One rateLimit() per process, shared by every createFetch that calls the API; innermost, so
// that every attempt (and every re-send after a 429) passes its gate.
const limit = rateLimit();
export const sureFetch = createFetch({ middleware: [retry(), circuitBreaker(), limit] });
// #endregion setup

// #region groups
// A GitHub-like API: /search/* has a small budget of its own, the rest shares the core one.
// GitHub names the partition in X-RateLimit-Resource, so rateLimit() keeps them apart by itself;
// for an API that does not say, declare the split (first match wins).
export const searchApart = rateLimit({
  groups: [
    { name: 'search', path: '/search/*' },
    { name: 'graphql', method: 'POST', path: '/graphql' },
  ],
});
// #endregion groups

// #region redis
// Every worker process that uses this Redis and the same credential shares one budget.
const shared = rateLimit({ redis: rateLimitRedis({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' }) });
export const workerFetch = createFetch({ middleware: [retry(), shared] });

process.once('SIGTERM', () => {
  void shared.close(); // closes the Redis connections it opened; does not hang on a frozen Redis
});
// #endregion redis

// #region caps
// At most 4 requests in flight and 250 ms between two starts, across every worker on this Redis.
export const gentle = rateLimit({
  redis: rateLimitRedis({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' }),
  maxConcurrent: 4,
  minTimeMs: 250,
});
// #endregion caps

// #region queue
// A job waits in the worker up to 30 s; a longer wait goes back to the queue, with its time.
const jobFetch = createFetch({ middleware: [retry(), limit], maxWaitMs: 30_000 });

export async function runSearchJob(job: QueueJob): Promise<void> {
  try {
    const response = await jobFetch(`https://api.example.com/search/issues?q=${encodeURIComponent(job.data.query)}`);
    await response.json();
  } catch (error) {
    const decision = queueDecisionOf(error);
    // A RetryLaterError (a spent budget, a 429 for an hour): come back at its retryAt.
    if (decision.action === 'delay') return job.reschedule(new Date(decision.retryAt));
    if (decision.action === 'fail') return job.fail(decision.message);
    throw error; // 'retry': the queue's own retry policy
  }
}
// #endregion queue

// #region events
// How long calls are held, and why: the header that said so, a spent budget, a learned pace.
export const observedFetch = createFetch({
  middleware: [retry(), limit],
  onEvent: (event: SurefetchEvent) => {
    if (event.type === 'wait') metrics.observe('surefetch_wait', event.delayMs, { source: event.source, operation: event.operation });
  },
});
// #endregion events
