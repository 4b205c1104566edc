/**
 * The Redis-backed request-record store, for idempotency across processes and restarts.
 * A separate entry point (`surefetch/redis`) because it loads the optional peer dependency
 * `@keyv/redis`.
 *
 * @example
 * ```ts
 * import { idempotency } from 'surefetch';
 * import { redisStore } from 'surefetch/redis';
 * const layer = idempotency({ store: redisStore({ url: process.env.REDIS_URL! }) });
 * ```
 *
 * @packageDocumentation
 */
export { redisStore, type RedisStoreOptions } from './store/redis-store.js';
