import { createSendTally } from '../core/send-tally.js';
import { apiKeyOf } from '../rate-limit/api-key.js';
import { createRetryBudget } from './retry-budget.js';
import { RetryCall } from './retry-call.js';
import type { Middleware } from '../core/types.js';
import { maxWaitOf } from '../verdict/wait-policy.js';

import type { RetryOptions, RetrySettings } from './retry-options.js';
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
  const settings: RetrySettings = {
    maxAttempts: options.maxAttempts ?? 4,
    baseDelayMs: options.baseDelayMs ?? 300,
    maxDelayMs: options.maxDelayMs ?? 20_000,
    maxWaits: options.maxWaits ?? 5,
    fallbackWaitMs: options.fallbackWaitMs ?? 1000,
    skewMarginMs: options.skewMarginMs ?? 1000,
    shouldRetry: options.shouldRetry,
    budget: options.budget === false ? undefined : (options.budget ?? createRetryBudget()),
  };

  // A plain function: the call's one async frame is its attempt's (see RetryCall.start).
  return function retryMiddleware(ctx, next) {
    try {
      // One bound for every wait of the call, handed to the layers inside.
      const maxWaitMs = maxWaitOf(ctx, options.maxWaitMs);
      // One count of sends for the call, whichever layer re-sends: maxAttempts bounds them all.
      const sends = ctx.sends ?? createSendTally();
      sends.bound(settings.maxAttempts);
      return new RetryCall(ctx, next, settings, apiKeyOf(ctx.request), maxWaitMs, sends).start();
    } catch (error) {
      return Promise.reject(error);
    }
  };
}
