import type Bottleneck from 'bottleneck';
import type { BudgetStore } from './budget-store.js';

/**
 * Limits shared by every worker that uses the same backend: the budget, the pause and
 * bottleneck's limits. The root entry knows only this shape, so it stays free of Node-only
 * code; `rateLimitRedis` from `surefetch/rate-limit-redis` makes one over Redis.
 *
 * @example
 * ```ts
 * import { rateLimitRedis } from 'surefetch/rate-limit-redis';
 * const limit = rateLimit({ redis: rateLimitRedis({ url: process.env.REDIS_URL! }) });
 * ```
 */
export interface RateLimitCluster {
  /** Opens the connections that every limiter of one `rateLimit` middleware shares. */
  connect(): Promise<ClusterLink>;
}

/** The open connections of a {@link RateLimitCluster}; the middleware that opened them closes them. */
export interface ClusterLink {
  /** A clustered bottleneck for the limiter `id` (its keys live under `id`). */
  bottleneck(id: string, limits: ClusteredLimits): Bottleneck;
  /** The budget of one limiter, kept under `key` and forgotten after `ttlMs` idle. */
  budgetStore(key: string, ttlMs: number): BudgetStore;
  /** Closes the connections. */
  close(): Promise<void>;
}

/** The limits of one clustered bottleneck. */
export interface ClusteredLimits {
  /** Most requests in flight across every worker; `null` for no cap. */
  readonly maxConcurrent: number | null;
  /** Least time between two request starts across every worker, in ms. */
  readonly minTimeMs: number;
  /** Idle time after which its keys expire, in ms. */
  readonly ttlMs: number;
}

/** Whether `value` can be used as `rateLimit({ redis })`; the old `{ url }` form cannot. */
export function isRateLimitCluster(value: unknown): value is RateLimitCluster {
  return typeof value === 'object' && value !== null && typeof (value as Partial<RateLimitCluster>).connect === 'function';
}
