import type { LimiterRegistryOptions } from './limiter.js';
import type { RateLimitGroup } from './partitions.js';

/** Options of {@link rateLimit}. */
export interface RateLimitOptions extends LimiterRegistryOptions {
  /**
   * Longest in-process wait (a hold, a pause, a queue). The call's own `maxWaitMs` (set on
   * `createFetch`, per call, or by an outer `retry`) replaces the default; this can only lower
   * it. A longer wait rejects with `RetryLaterError`.
   * @default 60000
   */
  readonly maxWaitMs?: number;
  /**
   * Most re-sends after refusals (429, ...) per attempt; then the refusal is returned. They
   * also count against the call's sends (`retry`'s `maxAttempts`): the lower bound wins.
   * @default 5
   */
  readonly maxWaits?: number;
  /** Pause after a refusal that says nothing about when to come back; doubled on each further one. @default 1000 */
  readonly fallbackWaitMs?: number;
  /** Cap of the doubled fallback pause. @default 30000 */
  readonly maxFallbackWaitMs?: number;
  /** Margin added to reset times given as absolute server times (clock skew). @default 1000 */
  readonly skewMarginMs?: number;
  /** How long one probe may stay unanswered before another send probes. @default 5000 */
  readonly probeTimeoutMs?: number;
  /** Spacing of the probes that verify a hold longer than a call can wait. @default 1000 */
  readonly probeIntervalMs?: number;
  /** How often sends waiting for a probe's answer look again. @default 10 */
  readonly pollMs?: number;
  /** Longest wait for the clustered limiter (Redis) to become ready. @default 5000 */
  readonly readyTimeoutMs?: number;
  /**
   * Route groups with limits of their own (first match wins): an answer naming no partition
   * teaches and holds only the group of its request. Requests in no group share the whole
   * API's budget. @default []
   */
  readonly groups?: readonly RateLimitGroup[];
}
