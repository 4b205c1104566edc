import Bottleneck from 'bottleneck';
import { createRedisBudgetStore } from './budget-redis.js';
import { connectRedis, type RedisOption } from './bottleneck-redis.js';
import type { ClusterLink, RateLimitCluster } from './cluster.js';

/**
 * Shares `rateLimit`'s limits over Redis: every worker using the same Redis (and the same
 * limiter `id`) shares one budget, one pause and bottleneck's `maxConcurrent`/`minTimeMs`.
 * Node-only (ioredis, bottleneck's full build), hence its own entry point. Each middleware
 * opens its own connections on first use and closes them in `close()`; a given client is
 * duplicated, never quit.
 *
 * @param option - a Redis URL, or an ioredis client to duplicate
 * @example
 * ```ts
 * import { rateLimit } from 'surefetch';
 * import { rateLimitRedis } from 'surefetch/rate-limit-redis';
 * const limit = rateLimit({ redis: rateLimitRedis({ url: process.env.REDIS_URL! }) });
 * ```
 */
export function rateLimitRedis(option: RedisOption): RateLimitCluster {
  return {
    async connect(): Promise<ClusterLink> {
      const { client, connection, close } = await connectRedis(option);
      return {
        bottleneck: (id, { maxConcurrent, minTimeMs, ttlMs }) =>
          new Bottleneck({ id, maxConcurrent, minTime: minTimeMs, datastore: 'ioredis', connection, clearDatastore: false, timeout: ttlMs }),
        budgetStore: (key, ttlMs) => createRedisBudgetStore({ client, key, ttlMs }),
        close,
      };
    },
  };
}
