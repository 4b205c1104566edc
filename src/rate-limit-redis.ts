/**
 * `rateLimit`'s limits shared over Redis by every worker (the budget, the pause, bottleneck's
 * concurrency and spacing). A separate entry point because it is Node-only: it loads the
 * optional peer dependency `ioredis` and bottleneck's full build.
 *
 * @example
 * ```ts
 * import { rateLimit } from 'surefetch';
 * import { rateLimitRedis } from 'surefetch/rate-limit-redis';
 * const limit = rateLimit({ redis: rateLimitRedis({ url: process.env.REDIS_URL! }) });
 * ```
 *
 * @packageDocumentation
 */
export { rateLimitRedis } from './rate-limit/redis-cluster.js';
export type { RedisOption, RedisUrlOption, RedisClientOption } from './rate-limit/bottleneck-redis.js';
